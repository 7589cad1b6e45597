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

namespace {

// Whether SDPA's own grouped-query support (enable_gqa) reaches a fused kernel:
// CPU's flash kernel takes k, v with Hkv heads as they are; on CUDA the flash
// (and cuDNN) kernels do for half/bf16 without an explicit mask, while the
// memory-efficient kernel (fp32, or a mask) does not and would drop to the
// math path — there the copies are cheaper.
bool native_gqa(const torch::Tensor& q, bool has_mask) {
  if (q.device().is_cpu()) return true;
  const auto dt = q.scalar_type();
  return !has_mask && (dt == torch::kBFloat16 || dt == torch::kHalf);
}

// q (B, H, T, D); k, v (B, Hkv, S, D) where each key/value head serves H/Hkv
// consecutive query heads -> (B, H, T, D).
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const std::optional<torch::Tensor>& mask, double dropout, bool causal) {
  const int64_t H = q.size(1), Hkv = k.size(1);
  if (Hkv == H || native_gqa(q, mask.has_value()))
    return at::scaled_dot_product_attention(q, k, v, mask, dropout, causal, std::nullopt,
                                            /*enable_gqa=*/Hkv != H);
  return at::scaled_dot_product_attention(q, k.repeat_interleave(H / Hkv, 1),   // (B, H, S, D)
                                          v.repeat_interleave(H / Hkv, 1), mask, dropout, causal);
}

}  // namespace

// Projects x to q (B, H, T, D) and k, v (B, Hkv, T, D), with QK-norm and RoPE at
// positions offset..offset+T.
void AttentionImpl::project(const torch::Tensor& x, int64_t offset, torch::Tensor* q,
                            torch::Tensor* k, torch::Tensor* v, int64_t halves) {
  int64_t B = x.size(0), T = x.size(1), D = head_dim(), H = options.n_heads(), Hkv = kv_heads();
  auto qkv = wqkv(x);                                          // (B, T, (H + 2Hkv)·D)
  auto parts = qkv.split({H * D, Hkv * D, Hkv * D}, -1);
  auto qq = parts[0].view({B, T, H, D});                       // (B, T, H, D)
  auto kk = parts[1].view({B, T, Hkv, D});                     // (B, T, Hkv, D)
  if (options.qk_norm()) {
    qq = q_norm(qq);
    kk = k_norm(kk);
  }
  if (halves == 2) {  // bd3_train: x_t and x_0 both at positions offset..offset+T/2
    const int64_t h = T / 2;
    qq = torch::cat({rope(qq.narrow(1, 0, h), offset), rope(qq.narrow(1, h, h), offset)}, 1);
    kk = torch::cat({rope(kk.narrow(1, 0, h), offset), rope(kk.narrow(1, h, h), offset)}, 1);
    *q = qq.transpose(1, 2);                                   // (B, H, T, D)
    *k = kk.transpose(1, 2);                                   // (B, Hkv, T, D)
  } else {
    *q = rope(qq, offset).transpose(1, 2);                     // (B, H, T, D)
    *k = rope(kk, offset).transpose(1, 2);                     // (B, Hkv, T, D)
  }
  *v = parts[2].view({B, T, Hkv, D}).transpose(1, 2);          // (B, Hkv, T, D)
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const AttentionLayout& layout) {
  int64_t B = x.size(0), T = x.size(1), H = options.n_heads();
  torch::Tensor q, k, v;
  const bool bd3 = layout.kind == AttentionLayoutKind::bd3_train;
  project(x, 0, &q, &k, &v, bd3 ? 2 : 1);
  double p = is_training() ? options.dropout() : 0.0;
  std::optional<torch::Tensor> mask;
  if (layout.needs_mask()) mask = attention_mask(layout, T, x.device());  // (T, T) bool
  auto y = attend(q, k, v, mask, p, layout.kind == AttentionLayoutKind::causal);  // (B, H, T, D)
  y = y.transpose(1, 2).reshape({B, T, H * head_dim()});       // (B, T, C)
  return wo(y);
}

torch::Tensor AttentionImpl::forward_cached(const torch::Tensor& x, AttentionCache* cache,
                                           const CacheStep& step) {
  int64_t B = x.size(0), T = x.size(1), H = options.n_heads();
  const int64_t past = cache->length();
  torch::Tensor q, k, v;
  project(x, past, &q, &k, &v);
  if (past > 0) {
    k = torch::cat({cache->k, k}, 2);                          // (B, Hkv, past + T, D)
    v = torch::cat({cache->v, v}, 2);                          // (B, Hkv, past + T, D)
  }
  if (step.append) {
    cache->k = k;
    cache->v = v;
  }
  torch::Tensor y;                                             // (B, H, T, D)
  if (!step.causal) {
    // A bd3 block: every new position sees the past and the whole block.
    y = attend(q, k, v, std::nullopt, 0.0, /*causal=*/false);
  } else if (past == 0 || T == 1) {
    // No past: plain causal. One new token: it may see everything.
    y = attend(q, k, v, std::nullopt, 0.0, /*causal=*/past == 0);
  } else {
    // SDPA's is_causal aligns the triangle top-left, wrong when T_q < T_k:
    // new row i may see keys j <= past + i.
    auto rows = torch::arange(T, torch::TensorOptions().device(x.device())).unsqueeze(1);
    auto cols = torch::arange(past + T, torch::TensorOptions().device(x.device())).unsqueeze(0);
    auto allowed = cols <= rows + past;                        // (T, past + T) bool
    y = attend(q, k, v, allowed, 0.0, false);
  }
  y = y.transpose(1, 2).reshape({B, T, H * head_dim()});       // (B, T, C)
  return wo(y);
}

}  // namespace crossover
