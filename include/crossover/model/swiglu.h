// swiglu.h — the SwiGLU feed-forward network: down(silu(gate(x)) * up(x)).
//
// gate and up are one fused Linear `gate_up` (rows [gate | up]) so a forward
// is two matmuls. Also the expert of the MoE layer (moe.h).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace crossover {

// d_ff for d_ff = 0 ("auto"): 8/3 · d_model rounded up to a multiple of 64.
int64_t swiglu_hidden_dim(int64_t d_model, int64_t d_ff);

struct SwiGLUOptions {
  SwiGLUOptions(int64_t d_model, int64_t d_ff) : d_model_(d_model), d_ff_(d_ff) {}
  TORCH_ARG(int64_t, d_model);   // C
  TORCH_ARG(int64_t, d_ff);      // F (already resolved; see swiglu_hidden_dim)
  TORCH_ARG(bool, bias) = false;
};

class SwiGLUImpl : public torch::nn::Module {
 public:
  explicit SwiGLUImpl(const SwiGLUOptions& options);
  void reset();
  // x: (..., C) -> (..., C)
  torch::Tensor forward(const torch::Tensor& x);

  SwiGLUOptions options;
  torch::nn::Linear gate_up{nullptr};  // C -> 2F, rows [gate | up]
  torch::nn::Linear down{nullptr};     // F -> C (residual output projection)
};
TORCH_MODULE(SwiGLU);

}  // namespace crossover
