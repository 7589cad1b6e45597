// cpu_kernels.h — fused CPU kernels (forward and backward) for the two
// memory-bound element-wise pieces of the model, RMSNorm and RoPE.
//
// ATen has no native CPU RMSNorm (at::rms_norm decomposes into ~6 ops
// forward and ~10 backward) and RoPE is 6 ops plus a cat; at the small widths
// crossover trains on CPU these passes cost ~10% of a step. Each kernel here
// is one pass over the data forward and one backward, wrapped in an autograd
// Function (first derivatives only; double backward is not supported).
// SwiGLU's silu(gate)·up stays in ATen on purpose: its SLEEF-vectorised exp
// beat a scalar fused loop (11 vs 19 ms fwd+bwd at 2048 × 704, 1 thread).
//
// Inputs: float32 or float64 CPU tensors whose last dim is contiguous and
// whose leading dims form a strided (rows, inner rows) grid — e.g. q as a view
// of the fused QKV projection; anything else is made contiguous first. The
// callers (rms_norm.cpp, rope.cpp) use ATen ops for other devices and dtypes.
// Outputs are contiguous. Checked by finite differences (float64) and by the
// PyTorch parity test (float32).
#pragma once

#include <torch/types.h>

namespace crossover {

// True when the fused kernels handle x (CPU, float32/float64).
bool cpu_kernels_support(const torch::Tensor& x);

// y = x / sqrt(mean(x², -1) + eps) * weight; x (..., D), weight (D).
torch::Tensor fused_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// Rotate-half RoPE on x (B, T, H, D) with tables cos, sin (>= T, D/2) in x's dtype.
torch::Tensor fused_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace crossover
