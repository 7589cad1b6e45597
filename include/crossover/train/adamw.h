// adamw.h — AdamW with decay / no-decay parameter groups, written out so its
// state (two moments per parameter and one step counter) is plain named
// tensors that a checkpoint stores and restores exactly.
//
// Update (identical to torch.optim.AdamW, checked against it in the tests):
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   p ← p·(1 − lr·wd)  (decay group only)
//   p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "crossover/train/optimizer.h"

namespace crossover {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;
  // How step() runs: "auto" = ATen's fused AdamW kernel (at::_fused_adamw_, one
  // launch per group) for CUDA parameters, multi-tensor _foreach_ ops on CPU;
  // "foreach"; "loop" = one tensor at a time (~5 kernels per parameter), the
  // reference the others are tested against. The state is the same in all.
  std::string impl = "auto";
};

// The replicated optimizer: every rank holds the moments of every parameter
// and reads the (already summed) .grad.
class AdamW : public Optimizer {
 public:
  // params: name -> tensor; no_decay: names excluded from weight decay.
  AdamW(const std::vector<std::pair<std::string, torch::Tensor>>& params,
        const std::vector<std::string>& no_decay, AdamWOptions options);

  // torch::nn::utils::clip_grad_norm_ over the parameters that have a .grad,
  // with _foreach_norm / _foreach_mul_ and the factor on the device.
  torch::Tensor clip_grad_norm_device(double max_norm) override;
  void step(double lr) override;
  void zero_grad() override;
  int64_t steps() const override { return t_; }

  // "exp_avg/<name>", "exp_avg_sq/<name>" -> tensor (zeros before the first step).
  std::vector<std::pair<std::string, torch::Tensor>> state_tensors() override;
  void load_state(const std::map<std::string, torch::Tensor>& tensors, int64_t steps) override;
  OptimizerBytes held_bytes() const override;

  const std::vector<std::pair<std::string, torch::Tensor>>& params() const { return params_; }

 private:
  // The parameters with a .grad (or that had one: a zero gradient) in one
  // weight-decay group, as tensor lists.
  struct Group {
    std::vector<torch::Tensor> params, grads, exp_avg, exp_avg_sq;
    bool decay = false;
  };
  std::vector<Group> groups_with_grad() const;
  void step_loop(double lr);
  void step_foreach(double lr);
  void step_fused(double lr);

  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::vector<bool> decay_;
  std::vector<torch::Tensor> exp_avg_;
  std::vector<torch::Tensor> exp_avg_sq_;
  // Had a .grad in some step: zero_grad() releases .grad (set to none), but a
  // parameter that once had one steps with a zero gradient when a step leaves
  // it out (momentum and decay keep moving it), as it did when .grad was
  // zeroed in place, and as the sharded optimizer and GradSync treat it.
  mutable std::vector<bool> had_grad_;
  AdamWOptions options_;
  int64_t t_ = 0;
};

}  // namespace crossover
