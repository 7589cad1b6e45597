// rms_norm.cpp — RMSNorm: the fused CPU kernel (cpu_kernels.h) for float32/64
// on CPU, at::rms_norm otherwise (fused on CUDA); checked against finite
// differences and a hand-written PyTorch reference in tests.
#include "crossover/model/rms_norm.h"

#include <torch/torch.h>

#include "crossover/model/cpu_kernels.h"
#include "crossover/util/check.h"

namespace crossover {

RMSNormImpl::RMSNormImpl(const RMSNormOptions& options) : options(options) {
  CROSSOVER_CHECK(options.dim() > 0, "RMSNorm dim must be positive, got ", options.dim());
  reset();
}

void RMSNormImpl::reset() {
  weight = register_parameter("weight", torch::ones({options.dim()}));
}

void RMSNormImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  weight.fill_(1.0);
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  if (cpu_kernels_support(x) && weight.scalar_type() == x.scalar_type())
    return fused_rms_norm(x, weight, options.eps());
  return at::rms_norm(x, {options.dim()}, weight, options.eps());
}

}  // namespace crossover
