// rms_norm.h — RMSNorm: y = x / sqrt(mean(x², last dim) + eps) * weight.
//
// Used before every residual branch, as the final norm, and per head on
// queries and keys (QK-norm). No bias, no mean subtraction (unlike LayerNorm).
// Parameter names end in "norm.weight" by convention; is_no_decay_param()
// in transformer.h relies on it.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace crossover {

struct RMSNormOptions {
  explicit RMSNormOptions(int64_t dim) : dim_(dim) {}
  TORCH_ARG(int64_t, dim);        // size of the normalised (last) dimension
  TORCH_ARG(double, eps) = 1e-6;  // model.norm_eps
};

class RMSNormImpl : public torch::nn::Module {
 public:
  explicit RMSNormImpl(const RMSNormOptions& options);
  void reset();
  void reset_parameters();
  // x: (..., dim) -> (..., dim)
  torch::Tensor forward(const torch::Tensor& x);

  RMSNormOptions options;
  torch::Tensor weight;  // (dim), ones at init
};
TORCH_MODULE(RMSNorm);

}  // namespace crossover
