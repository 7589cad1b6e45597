// GPU checks (label `gpu`): skipped where no CUDA device exists. The model's
// forward/backward on CUDA in fp32 against the CPU (the outside truth), a
// bf16-autocast train step that runs and lowers the loss, and the start-up and
// hot-path settings of issue #22 on real hardware: each local rank's own GPU,
// the checkpoint replay under bf16 autocast, native GQA against repeated
// keys/values in bf16, TF32, and the peak-FLOP table knowing this GPU.
#include <ATen/autocast_mode.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAFunctions.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "crossover/config/loader.h"
#include "crossover/model/activation_checkpoint.h"
#include "crossover/model/attention.h"
#include "crossover/model/transformer.h"
#include "crossover/util/autocast.h"
#include "crossover/util/check.h"
#include "crossover/util/device_info.h"
#include "crossover/util/runtime.h"
#include "crossover/train/adamw.h"
#include "crossover/train/train_step.h"

namespace crossover {
namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

TEST(Cuda, ForwardBackwardMatchesCpuFp32) {
  SKIP_WITHOUT_CUDA();
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  for (bool causal : {true, false}) {
    ModelConfig mc;
    mc.d_model = 64;
    mc.n_layers = 2;
    mc.n_heads = 4;
    mc.max_seq_len = 64;
    torch::manual_seed(0);
    Transformer cpu(transformer_options_from_config(mc, 100));
    Transformer gpu(transformer_options_from_config(mc, 100));
    {
      torch::NoGradGuard ng;
      auto src = cpu->named_parameters();
      for (auto& p : gpu->named_parameters()) p.value().copy_(src[p.key()]);
    }
    gpu->to(torch::kCUDA);
    auto x = torch::randint(0, 100, {3, 48});
    auto lc = cpu->forward(x, causal).logits;
    auto lg = gpu->forward(x.cuda(), causal).logits;
    double scale = lc.abs().max().item<double>();
    EXPECT_LT((lc - lg.cpu()).abs().max().item<double>() / scale, 1e-4) << "causal=" << causal;
    lc.square().mean().backward();
    lg.square().mean().backward();
    auto gc = cpu->named_parameters();
    for (auto& p : gpu->named_parameters()) {
      auto a = gc[p.key()].grad(), b = p.value().grad().cpu();
      double s = std::max(a.abs().max().item<double>(), 1e-12);
      EXPECT_LT((a - b).abs().max().item<double>() / s, 1e-3) << p.key();
    }
  }
}

TEST(Cuda, Bf16AutocastTrainStepLowersLoss) {
  SKIP_WITHOUT_CUDA();
  for (std::string kind : {"ar", "mdm"}) {
    Config cfg = load_config_from_string("", "gpu", {"model.d_model=64", "model.n_layers=2",
                                                     "model.n_heads=4", "data.seq_len=64",
                                                     "model.max_seq_len=64", "train.lr=3e-3",
                                                     "train.lr_warmup_steps=0",
                                                     "runtime.precision=bf16",
                                                     "objective.kind=" + kind});
    TrainState st = make_train_state(cfg, 64, 63, torch::Device(torch::kCUDA, 0), nullptr);
    ASSERT_TRUE(st.bf16);
    auto tokens = torch::arange(65).remainder(7).repeat({8, 1});  // (8, 65), learnable
    double first = 0, last = 0;
    for (int s = 0; s < 30; ++s) {
      const double loss = train_step(st, tokens, s, 30).loss.item<double>();
      ASSERT_TRUE(std::isfinite(loss));
      if (s == 0) first = loss;
      last = loss;
    }
    EXPECT_LT(last, 0.5 * first) << kind;
  }
}


// ATen's fused AdamW kernel on CUDA against the per-tensor loop on the CPU
// (fp32; the kernel orders its arithmetic differently, hence a tolerance).
TEST(Cuda, FusedAdamWMatchesLoop) {
  SKIP_WITHOUT_CUDA();
  auto run = [](const std::string& impl, torch::Device dev) {
    torch::manual_seed(3);
    auto a = torch::randn({64, 32}).to(dev).requires_grad_();
    auto b = torch::randn({32}).to(dev).requires_grad_();
    AdamWOptions o{0.9, 0.95, 1e-8, 0.1};
    o.impl = impl;
    AdamW opt({{"a", a}, {"b", b}}, {"b"}, o);
    for (int s = 0; s < 5; ++s) {
      opt.zero_grad();
      auto x = torch::linspace(-1, 1, 32).to(dev) * (s + 1);
      (a.matmul(x).pow(2).sum() + (b * x).sin().sum()).backward();
      opt.step(1e-2);
    }
    return std::vector<torch::Tensor>{a.detach().cpu(), b.detach().cpu()};
  };
  auto ref = run("loop", torch::kCPU), fused = run("fused", torch::Device(torch::kCUDA, 0));
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_LT((ref[i] - fused[i]).abs().max().item<double>(), 1e-5) << i;
}


TEST(Cuda, EachLocalRankSetsItsOwnDevice) {
  SKIP_WITHOUT_CUDA();
  const int64_t n = cuda_device_count();
  ASSERT_GE(n, 1);
  for (int64_t r = 0; r < n; ++r) {
    RuntimeOptions o;
    o.device = "auto";
    o.local_rank = r;
    o.local_world_size = n;
    const torch::Device d = runtime_setup(o);
    EXPECT_EQ(d, torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(r)));
    EXPECT_EQ(c10::cuda::current_device(), r) << "rank " << r << " left another GPU current";
  }
  RuntimeOptions too_far;
  too_far.local_rank = n;
  EXPECT_THROW(runtime_setup(too_far), UsageError);
  c10::cuda::set_device(0);
}

TEST(Cuda, Tf32ByDefaultAndTheDevicePeakIsKnown) {
  SKIP_WITHOUT_CUDA();
  runtime_setup(RuntimeOptions{});
  EXPECT_TRUE(at::globalContext().allowTF32CuBLAS());
  auto a = torch::randn({256, 256}, torch::kCUDA);
  EXPECT_GT((a.matmul(a)).abs().sum().item<double>(), 0);  // cuBLAS accepts the TF32 state
  const std::string name = at::cuda::getDeviceProperties(0)->name;
  std::cout << "[ info ] " << name << ": bf16 peak " << gpu_peak_flops(name, true, true) / 1e12
            << " TFLOP/s, TF32 " << gpu_peak_flops(name, false, true) / 1e12 << "\n";
  if (name.find("H100") != std::string::npos || name.find("H200") != std::string::npos)
    EXPECT_GT(gpu_peak_flops(name, true, true), 700e12) << name;
  EXPECT_EQ(peak_flops(torch::Device(torch::kCUDA, 0), false, 0),
            gpu_peak_flops(name, false, true) > 0 ? gpu_peak_flops(name, false, true) : 50e12);
  at::globalContext().setAllowTF32CuBLAS(false);
}

TEST(Cuda, CheckpointReplayRunsUnderTheForwardsBf16Autocast) {
  SKIP_WITHOUT_CUDA();
  ModelConfig mc;
  mc.d_model = 64;
  mc.n_layers = 2;
  mc.n_heads = 4;
  mc.max_seq_len = 64;
  auto grads = [&](int64_t every, std::vector<bool>* seen) {
    torch::manual_seed(0);
    auto opts = transformer_options_from_config(mc, 100);
    Transformer m(opts.checkpoint_every(every));
    m->to(torch::kCUDA);
    auto x = torch::randint(0, 100, {4, 64}, torch::kLong).cuda();
    set_checkpoint_replay_observer(
        [&] { if (seen) seen->push_back(at::autocast::is_autocast_enabled(at::kCUDA)); });
    torch::Tensor loss;
    {
      AutocastScope autocast(true);
      loss = m->forward(x, true).logits.to(torch::kFloat32).logsumexp(-1).mean();
    }
    loss.backward();
    set_checkpoint_replay_observer(nullptr);
    std::vector<torch::Tensor> g;
    for (auto& p : m->parameters()) g.push_back(p.grad().cpu());
    return g;
  };
  std::vector<bool> seen;
  auto plain = grads(0, nullptr), ckpt = grads(1, &seen);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[0] && seen[1]) << "the recompute ran outside bf16 autocast";
  for (size_t i = 0; i < plain.size(); ++i) {
    const double scale = plain[i].abs().max().item<double>() + 1e-12;
    EXPECT_LE((plain[i] - ckpt[i]).abs().max().item<double>() / scale, 1e-2) << "parameter " << i;
  }
}

TEST(Cuda, NativeGqaMatchesRepeatedKeysAndValuesInBf16) {
  SKIP_WITHOUT_CUDA();
  torch::manual_seed(1);
  auto a = Attention(AttentionOptions(256, 8).n_kv_heads(2).max_seq_len(128));
  a->to(torch::kCUDA);
  auto x = torch::randn({2, 128, 256}, torch::kCUDA);
  torch::NoGradGuard no_grad;
  AutocastScope autocast(true);
  auto y = a(x, true).to(torch::kFloat32);
  // Reference: the same layer with every kv head copied (n_kv_heads = n_heads).
  auto b = Attention(AttentionOptions(256, 8).max_seq_len(128));
  b->to(torch::kCUDA);
  const int64_t D = 32, H = 8, Hkv = 2;
  auto w = a->wqkv->weight;  // rows [q (H·D) | k (Hkv·D) | v (Hkv·D)]
  auto k = w.narrow(0, H * D, Hkv * D).view({Hkv, D, 256}).repeat_interleave(H / Hkv, 0).reshape({H * D, 256});
  auto v = w.narrow(0, (H + Hkv) * D, Hkv * D).view({Hkv, D, 256}).repeat_interleave(H / Hkv, 0).reshape({H * D, 256});
  b->wqkv->weight.copy_(torch::cat({w.narrow(0, 0, H * D), k, v}, 0));
  b->wo->weight.copy_(a->wo->weight);
  b->q_norm->weight.copy_(a->q_norm->weight);
  b->k_norm->weight.copy_(a->k_norm->weight);
  auto want = b(x, true).to(torch::kFloat32);
  EXPECT_LE((y - want).abs().max().item<double>(), 2e-2 * want.abs().max().item<double>());
}

}  // namespace
}  // namespace crossover
