// rope.cpp — rotary embedding tables and their application (fused kernel on
// CPU, ATen ops elsewhere).
#include "crossover/model/rope.h"

#include <torch/torch.h>

#include "crossover/model/cpu_kernels.h"
#include "crossover/util/check.h"

namespace crossover {

RoPEImpl::RoPEImpl(const RoPEOptions& options) : options(options) {
  CROSSOVER_CHECK(options.head_dim() > 0 && options.head_dim() % 2 == 0,
                  "RoPE head dim must be positive and even, got ", options.head_dim(),
                  "; hint: pick model.d_model / model.n_heads even");
  reset();
}

void RoPEImpl::reset() {
  int64_t half = options.head_dim() / 2;
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  // inv_freq[i] = theta^(-2i/D), angles[t, i] = t * inv_freq[i]
  auto inv_freq = torch::pow(options.theta(), -torch::arange(0, half, f64) * 2.0 /
                                                   static_cast<double>(options.head_dim()));
  auto angles = torch::outer(torch::arange(0, options.max_seq_len(), f64), inv_freq);  // (T, D/2)
  cos = angles.cos();
  sin = angles.sin();
  cos_cached_ = sin_cached_ = torch::Tensor();
}

torch::Tensor RoPEImpl::forward(const torch::Tensor& x, int64_t offset) {
  CROSSOVER_CHECK(x.dim() == 4 && x.size(3) == options.head_dim(),
                  "RoPE expects (B, T, H, D=", options.head_dim(), "), got ", x.sizes());
  int64_t T = x.size(1), half = options.head_dim() / 2;
  CROSSOVER_CHECK(offset >= 0 && offset + T <= options.max_seq_len(), "positions [", offset, ", ",
                  offset + T, ") exceed model.max_seq_len=", options.max_seq_len(),
                  "; hint: raise model.max_seq_len or use a shorter prompt/generation");
  if (!cos_cached_.defined() || cos_cached_.scalar_type() != x.scalar_type() ||
      cos_cached_.device() != x.device()) {
    cos_cached_ = cos.to(x.device(), x.scalar_type());
    sin_cached_ = sin.to(x.device(), x.scalar_type());
  }
  if (cpu_kernels_support(x))  // rows [offset, offset + T) of the tables: contiguous slices
    return fused_rope(x, cos_cached_.slice(0, offset, offset + T), sin_cached_.slice(0, offset, offset + T));
  auto c = cos_cached_.slice(0, offset, offset + T).unsqueeze(1);  // (T, 1, D/2)
  auto s = sin_cached_.slice(0, offset, offset + T).unsqueeze(1);  // (T, 1, D/2)
  auto x1 = x.slice(3, 0, half);                                  // (B, T, H, D/2)
  auto x2 = x.slice(3, half);                                     // (B, T, H, D/2)
  return torch::cat({x1 * c - x2 * s, x2 * c + x1 * s}, 3);       // (B, T, H, D)
}

}  // namespace crossover
