// attention.cpp — fused QKV projection, QK-norm, RoPE, SDPA, output projection.
#include "crossover/model/attention.h"

#include <torch/torch.h>

#include "crossover/util/check.h"

namespace crossover {

AttentionImpl::AttentionImpl(const AttentionOptions& options) : options(options) {
  CROSSOVER_CHECK(options.d_model() % options.n_heads() == 0, "d_model=", options.d_model(),
                  " is not divisible by n_heads=", options.n_heads());
  CROSSOVER_CHECK(options.n_heads() % kv_heads() == 0, "n_heads=", options.n_heads(),
                  " is not divisible by n_kv_heads=", kv_heads());
  reset();
}

int64_t AttentionImpl::kv_heads() const {
  return options.n_kv_heads() == 0 ? options.n_heads() : options.n_kv_heads();
}

void AttentionImpl::reset() {
  int64_t C = options.d_model(), D = head_dim(), H = options.n_heads(), Hkv = kv_heads();
  wqkv = register_module(
      "wqkv", torch::nn::Linear(torch::nn::LinearOptions(C, (H + 2 * Hkv) * D).bias(options.bias())));
  wo = register_module("wo", torch::nn::Linear(torch::nn::LinearOptions(H * D, C).bias(options.bias())));
  if (options.qk_norm()) {
    q_norm = register_module("q_norm", RMSNorm(RMSNormOptions(D).eps(options.norm_eps())));
    k_norm = register_module("k_norm", RMSNorm(RMSNormOptions(D).eps(options.norm_eps())));
  }
  rope = register_module(
      "rope", RoPE(RoPEOptions(D, options.max_seq_len()).theta(options.rope_theta())));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, bool causal) {
  int64_t B = x.size(0), T = x.size(1), D = head_dim(), H = options.n_heads(), Hkv = kv_heads();
  auto qkv = wqkv(x);                                          // (B, T, (H + 2Hkv)·D)
  auto parts = qkv.split({H * D, Hkv * D, Hkv * D}, -1);
  auto q = parts[0].view({B, T, H, D});                        // (B, T, H, D)
  auto k = parts[1].view({B, T, Hkv, D});                      // (B, T, Hkv, D)
  auto v = parts[2].view({B, T, Hkv, D});                      // (B, T, Hkv, D)
  if (options.qk_norm()) {
    q = q_norm(q);
    k = k_norm(k);
  }
  q = rope(q).transpose(1, 2);                                 // (B, H, T, D)
  k = rope(k).transpose(1, 2);                                 // (B, Hkv, T, D)
  v = v.transpose(1, 2);                                       // (B, Hkv, T, D)
  if (Hkv != H) {
    // Each key/value head serves H/Hkv consecutive query heads.
    k = k.repeat_interleave(H / Hkv, 1);                       // (B, H, T, D)
    v = v.repeat_interleave(H / Hkv, 1);                       // (B, H, T, D)
  }
  double p = is_training() ? options.dropout() : 0.0;
  auto y = at::scaled_dot_product_attention(q, k, v, {}, p, causal);  // (B, H, T, D)
  y = y.transpose(1, 2).reshape({B, T, H * D});                // (B, T, C)
  return wo(y);
}

}  // namespace crossover
