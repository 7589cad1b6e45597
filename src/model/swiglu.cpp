// swiglu.cpp — SwiGLU FFN.
#include "crossover/model/swiglu.h"

#include <torch/torch.h>

#include "crossover/util/check.h"

namespace crossover {

int64_t swiglu_hidden_dim(int64_t d_model, int64_t d_ff) {
  if (d_ff > 0) return d_ff;
  int64_t raw = (8 * d_model + 2) / 3;  // ceil(8/3 · d_model)
  return (raw + 63) / 64 * 64;
}

SwiGLUImpl::SwiGLUImpl(const SwiGLUOptions& options) : options(options) {
  CROSSOVER_CHECK(options.d_model() > 0 && options.d_ff() > 0, "SwiGLU needs positive sizes, got d_model=",
                  options.d_model(), " d_ff=", options.d_ff());
  reset();
}

void SwiGLUImpl::reset() {
  int64_t C = options.d_model(), F = options.d_ff();
  gate_up = register_module("gate_up",
                            torch::nn::Linear(torch::nn::LinearOptions(C, 2 * F).bias(options.bias())));
  down = register_module("down", torch::nn::Linear(torch::nn::LinearOptions(F, C).bias(options.bias())));
}

torch::Tensor SwiGLUImpl::forward(const torch::Tensor& x) {
  auto gu = gate_up(x).chunk(2, -1);             // 2 × (..., F)
  return down(torch::silu(gu[0]) * gu[1]);       // (..., C)
}

}  // namespace crossover
