// activation_checkpoint.cpp — recompute a block's activations in backward instead of
// storing them (the autograd function and its autocast-preserving replay).
#include "crossover/model/activation_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "crossover/util/autocast.h"

#ifdef CROSSOVER_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

namespace crossover {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

CheckpointReplayObserver& replay_observer() {
  static CheckpointReplayObserver observer;
  return observer;
}

// The default generators whose draws a block's dropout can consume.
std::vector<at::Generator> block_generators(const torch::Device& device) {
  std::vector<at::Generator> g{at::detail::getDefaultCPUGenerator()};
#ifdef CROSSOVER_CUDA
  if (device.is_cuda()) g.push_back(at::cuda::detail::getDefaultCUDAGenerator(device.index()));
#endif
  return g;
}

std::vector<at::Tensor> get_states(const std::vector<at::Generator>& gens) {
  std::vector<at::Tensor> s;
  for (auto g : gens) {  // (a handle: copies share the generator)
    std::lock_guard<std::mutex> lock(g.mutex());
    s.push_back(g.get_state());
  }
  return s;
}

void set_states(const std::vector<at::Generator>& gens, const std::vector<at::Tensor>& states) {
  for (size_t i = 0; i < gens.size(); ++i) {
    auto g = gens[i];
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(states[i]);
  }
}

std::pair<torch::Tensor, torch::Tensor> run_block(BlockImpl& block, const torch::Tensor& x,
                                                  const AttentionLayout& layout) {
  torch::Tensor aux;
  auto out = block.forward(x, layout, &aux);  // (B, T, C)
  if (!aux.defined()) aux = torch::zeros({}, out.options());
  return {out, aux};
}

struct CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  static variable_list forward(AutogradContext* ctx, torch::Tensor x, BlockImpl* block,
                               int64_t layout_kind, int64_t block_size) {
    const AttentionLayout layout{static_cast<AttentionLayoutKind>(layout_kind), block_size};
    auto gens = block_generators(x.device());
    ctx->saved_data["block"] = reinterpret_cast<int64_t>(block);
    ctx->saved_data["layout_kind"] = layout_kind;
    ctx->saved_data["block_size"] = block_size;
    ctx->saved_data["rng"] = c10::List<at::Tensor>(get_states(gens));
    // The autocast state of this forward: backward runs after the autocast
    // region has closed (train_step calls loss.backward() outside it), and the
    // replay must compute in the same precision (torch.utils.checkpoint does
    // the same with its device and CPU autocast kwargs).
    const AutocastState ac = autocast_state();
    ctx->saved_data["ac_cpu"] = ac.cpu_enabled;
    ctx->saved_data["ac_cpu_dtype"] = static_cast<int64_t>(ac.cpu_dtype);
    ctx->saved_data["ac_cuda"] = ac.cuda_enabled;
    ctx->saved_data["ac_cuda_dtype"] = static_cast<int64_t>(ac.cuda_dtype);
    ctx->saved_data["ac_cache"] = ac.cache_enabled;
    ctx->save_for_backward({x});
    torch::NoGradGuard no_grad;  // keep nothing of the block's graph
    auto [out, aux] = run_block(*block, x, layout);
    return {out, aux};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto* block = reinterpret_cast<BlockImpl*>(ctx->saved_data["block"].toInt());
    const AttentionLayout layout{
        static_cast<AttentionLayoutKind>(ctx->saved_data["layout_kind"].toInt()),
        ctx->saved_data["block_size"].toInt()};
    auto x = ctx->get_saved_variables()[0].detach().requires_grad_(true);  // (B, T, C)
    auto gens = block_generators(x.device());
    std::vector<at::Tensor> saved;
    for (const auto& t : ctx->saved_data["rng"].toTensorList()) saved.push_back(t);
    const auto now = get_states(gens);  // put back after the replay
    set_states(gens, saved);
    AutocastState ac;
    ac.cpu_enabled = ctx->saved_data["ac_cpu"].toBool();
    ac.cpu_dtype = static_cast<c10::ScalarType>(ctx->saved_data["ac_cpu_dtype"].toInt());
    ac.cuda_enabled = ctx->saved_data["ac_cuda"].toBool();
    ac.cuda_dtype = static_cast<c10::ScalarType>(ctx->saved_data["ac_cuda_dtype"].toInt());
    ac.cache_enabled = ctx->saved_data["ac_cache"].toBool();
    std::pair<torch::Tensor, torch::Tensor> replay;
    {
      torch::AutoGradMode grad(true);
      AutocastReplay autocast(ac);
      if (replay_observer()) replay_observer()();
      replay = run_block(*block, x, layout);
    }
    set_states(gens, now);
    variable_list outs, grads;
    for (size_t i = 0; i < 2; ++i) {
      const auto& o = i == 0 ? replay.first : replay.second;
      if (!grad_out[i].defined() || !o.requires_grad()) continue;
      outs.push_back(o);
      grads.push_back(grad_out[i]);
    }
    if (!outs.empty()) torch::autograd::backward(outs, grads);
    return {x.grad(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

void set_checkpoint_replay_observer(CheckpointReplayObserver observer) {
  replay_observer() = std::move(observer);
}

std::pair<torch::Tensor, torch::Tensor> checkpoint_block(BlockImpl& block, const torch::Tensor& x,
                                                         const AttentionLayout& layout) {
  if (!torch::GradMode::is_enabled()) return run_block(block, x, layout);
  auto outs = CheckpointFunction::apply(x, &block, static_cast<int64_t>(layout.kind),
                                        layout.block_size);
  return {outs[0], outs[1]};
}

}  // namespace crossover
