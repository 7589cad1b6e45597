// ar_objective.h — autoregressive next-token prediction (causal attention,
// every position supervised with weight 1), and its input-noise variant
// (paper experiment 5): a fraction `input_noise` of input tokens, each chosen
// independently, is replaced by [MASK]; targets stay the clean next tokens.
#pragma once

#include "crossover/objective/objective.h"

namespace crossover {

class ArObjective : public Objective {
 public:
  // input_noise = 0 is plain AR; > 0 needs a valid mask_id.
  explicit ArObjective(double input_noise = 0.0, int64_t mask_id = -1);
  bool causal() const override { return true; }
  std::string name() const override { return input_noise_ > 0 ? "ar_noise" : "ar"; }
  ObjectiveBatch prepare(const torch::Tensor& tokens, int64_t seq_len,
                         torch::Generator& gen) const override;

 private:
  double input_noise_;
  int64_t mask_id_;
};

}  // namespace crossover
