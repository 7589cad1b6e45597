// moe.h — mixture-of-experts FFN: a token-choice top-k router over SwiGLU
// experts (dropless: no capacity limit, every routed token is computed).
//
// Routing: p = softmax(router(x)) over E experts (in float32); each token goes
// to its top-k experts with weights p_topk (renormalised to sum 1 when k > 1).
// Auxiliary loss, returned with the output:
//   aux_coef · E · Σ_e f_e · P_e       (Switch-style load balancing;
//        f_e = fraction of the N·k routing slots sent to e, P_e = mean_n p[n, e])
// + z_coef · mean_n logsumexp(router logits[n])²   (router z-loss)
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "crossover/model/swiglu.h"

namespace crossover {

struct MoEOptions {
  MoEOptions(int64_t d_model, int64_t d_ff, int64_t n_experts)
      : d_model_(d_model), d_ff_(d_ff), n_experts_(n_experts) {}
  TORCH_ARG(int64_t, d_model);    // C
  TORCH_ARG(int64_t, d_ff);       // F of each expert
  TORCH_ARG(int64_t, n_experts);  // E
  TORCH_ARG(int64_t, top_k) = 1;  // k
  TORCH_ARG(double, aux_coef) = 0.01;
  TORCH_ARG(double, z_coef) = 0.001;
  TORCH_ARG(bool, bias) = false;
};

struct MoEOutput {
  torch::Tensor out;       // (B, T, C)
  torch::Tensor aux_loss;  // scalar float32: aux_coef · balance + z_coef · z
};

class MoEImpl : public torch::nn::Module {
 public:
  explicit MoEImpl(const MoEOptions& options);
  void reset();
  // x: (B, T, C)
  MoEOutput forward(const torch::Tensor& x);

  // Parameters of one expert (the inactive ones are not counted as active).
  int64_t expert_param_count() const;

  MoEOptions options;
  torch::nn::Linear router{nullptr};       // C -> E, no bias
  torch::nn::ModuleList experts{nullptr};  // E × SwiGLU(C, F)
};
TORCH_MODULE(MoE);

}  // namespace crossover
