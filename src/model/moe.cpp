// moe.cpp — top-k routing, grouped expert dispatch, load-balancing and z losses.
//
// Dispatch: the N·k (token, expert) slots are sorted by expert so each expert
// runs one matmul over a contiguous slice; results are scaled by the routing
// weight and scattered back with index_add. Every expert runs even on zero
// tokens so every parameter always has a (possibly zero) gradient, which keeps
// gradient all-reduce simple.
#include "crossover/model/moe.h"

#include <torch/torch.h>

#include "crossover/util/check.h"
#include "crossover/util/host_sync.h"

namespace crossover {

MoEImpl::MoEImpl(const MoEOptions& options) : options(options) {
  CROSSOVER_CHECK(options.n_experts() >= 1 && options.top_k() >= 1 &&
                      options.top_k() <= options.n_experts(),
                  "MoE needs 1 <= top_k <= n_experts, got top_k=", options.top_k(),
                  " n_experts=", options.n_experts());
  reset();
}

void MoEImpl::reset() {
  int64_t C = options.d_model(), E = options.n_experts();
  router = register_module("router", torch::nn::Linear(torch::nn::LinearOptions(C, E).bias(false)));
  experts = register_module("experts", torch::nn::ModuleList());
  for (int64_t e = 0; e < E; ++e)
    experts->push_back(SwiGLU(SwiGLUOptions(C, options.d_ff()).bias(options.bias())));
}

int64_t MoEImpl::expert_param_count() const {
  int64_t n = 0;
  for (const auto& p : experts->ptr(0)->parameters()) n += p.numel();
  return n;
}

MoEOutput MoEImpl::forward(const torch::Tensor& x) {
  int64_t B = x.size(0), T = x.size(1), C = x.size(2);
  int64_t N = B * T, E = options.n_experts(), k = options.top_k();
  auto xf = x.reshape({N, C});                                  // (N, C)
  // Routing math in float32 at least (float64 stays float64 for gradient checks).
  auto rtype = x.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  auto logits = router(xf).to(rtype);                           // (N, E)
  auto probs = torch::softmax(logits, -1);                      // (N, E)
  auto top = probs.topk(k, -1);
  auto w = std::get<0>(top);                                    // (N, k)
  auto idx = std::get<1>(top);                                  // (N, k)
  if (k > 1) w = w / w.sum(-1, true);

  auto idx_flat = idx.reshape({N * k});                         // (N·k)
  auto order = idx_flat.argsort();                              // slots grouped by expert
  auto token_of = order.div(k, "floor");                        // (N·k) token of each slot
  auto w_sorted = w.reshape({N * k}).index_select(0, order).to(x.scalar_type());
  // The per-expert slice sizes are read on the host: one sync per MoE layer
  // on a GPU (a grouped GEMM over device offsets would remove it).
  auto counts = torch::bincount(idx_flat, {}, E).to(torch::kCPU);  // (E)
  count_host_sync();
  auto xs = xf.index_select(0, token_of);                       // (N·k, C)
  std::vector<torch::Tensor> ys;
  ys.reserve(E);
  int64_t start = 0;
  const int64_t* cnt = counts.data_ptr<int64_t>();
  for (int64_t e = 0; e < E; ++e) {
    auto seg = xs.narrow(0, start, cnt[e]);                     // (n_e, C)
    auto y = experts->ptr<SwiGLUImpl>(e)->forward(seg);       // (n_e, C)
    ys.push_back(y * w_sorted.narrow(0, start, cnt[e]).unsqueeze(1));
    start += cnt[e];
  }
  auto out = torch::zeros_like(xf).index_add(0, token_of, torch::cat(ys, 0));  // (N, C)

  auto f = counts.to(probs.device(), rtype) / static_cast<double>(N * k);  // (E)
  auto P = probs.mean(0);                                                            // (E)
  auto balance = static_cast<double>(E) * (f * P).sum();
  auto z = torch::logsumexp(logits, -1).square().mean();
  auto aux = options.aux_coef() * balance + options.z_coef() * z;
  return {out.view({B, T, C}), aux};
}

}  // namespace crossover
