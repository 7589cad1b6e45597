// mdm_objective.h — masked diffusion (MDM / DLM) with the linear schedule.
//
// Per row a masking rate t ∈ (ε, 1] (independent U(ε,1], or stratified /
// antithetic across the batch: t_i = ε + (1−ε)·((u + i/B) mod 1) with one u);
// each token is replaced by [MASK] with probability t; the model, attending
// bidirectionally, predicts the original token in place. Weights:
//   inv_t        mask / t                   (MDLM / SMDM / LLaDA; unbiased ELBO)
//   inv_realised mask · L / (#masked in row)  (the paper's code)
// With inv_realised a row with no masked token gets one at a uniformly random
// position (the paper's code; the estimator stays unbiased because, given the
// count k ≥ 1, the masked set is a uniform k-subset). With inv_t no token is
// forced: a forced token would carry weight 1/t ≈ 1/ε and bias the ELBO
// (tests/objective check both estimators against an exact likelihood).
#pragma once

#include "crossover/objective/objective.h"

namespace crossover {

class MdmObjective : public Objective {
 public:
  MdmObjective(const ObjectiveConfig& cfg, int64_t mask_id);
  bool causal() const override { return false; }
  std::string name() const override { return "mdm"; }
  int64_t step_seq_len(int64_t T, torch::Generator& step_gen) const override;
  ObjectiveBatch prepare(const torch::Tensor& tokens, int64_t seq_len,
                         torch::Generator& gen) const override;

  // Masking rates for B rows, (B) float32 on gen's device.
  torch::Tensor sample_t(int64_t B, torch::Generator& gen) const;

 private:
  ObjectiveConfig cfg_;
  int64_t mask_id_;
};

// The deterministic half of MdmObjective::prepare: given clean tokens x0 (B, L),
// a mask (B, L) bool and rates t (B), builds inputs = where(mask, mask_id, x0),
// targets = x0 and the weights of `weighting` (inv_t | inv_realised). Used by
// the PyTorch-parity test with masks drawn in Python.
ObjectiveBatch mdm_batch_from_mask(const torch::Tensor& x0, const torch::Tensor& mask,
                                   const torch::Tensor& t, const std::string& weighting,
                                   int64_t mask_id);

}  // namespace crossover
