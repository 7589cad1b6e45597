// ar_objective.h — autoregressive next-token prediction (causal attention,
// every position supervised with weight 1), and its input-noise variant
// (paper experiment 5): a fraction `input_noise` of input tokens, each chosen
// independently, is replaced by [MASK]; targets stay the clean next tokens.
//
// Evaluation is exact and noise-free for both: the validation loss of a window
// is Σ_{i=1..T} −log p(x_i | x_<i), and a continuation's log-likelihood is
// Σ_i log p(x_i | x_<i) over its tokens, with rows padded on the right (causal
// attention never looks right) and consecutive requests batched max_batch_tokens
// at a time.
#pragma once

#include "crossover/objective/objective.h"

namespace crossover {

class ArObjective : public Objective {
 public:
  // input_noise = 0 is plain AR; > 0 needs a valid mask_id.
  explicit ArObjective(double input_noise = 0.0, int64_t mask_id = -1);
  bool causal() const override { return true; }
  std::string name() const override { return input_noise_ > 0 ? "ar_noise" : "ar"; }
  Paradigm paradigm() const override { return Paradigm::autoregressive(); }
  ObjectiveBatch prepare(const torch::Tensor& tokens, int64_t seq_len,
                         torch::Generator& gen) const override;
  torch::Tensor validation_loss_sums(TransformerImpl& model, const torch::Tensor& windows,
                                     int64_t first, const EstimateOptions& o) const override;
  int64_t loglik_max_tokens(int64_t max_seq_len) const override { return max_seq_len + 1; }
  std::vector<std::vector<double>> loglik_samples(TransformerImpl& model,
                                                  const std::vector<LoglikRequest>& requests,
                                                  const EstimateOptions& o,
                                                  torch::Device device) const override;

 private:
  double input_noise_;
  int64_t mask_id_;
};

}  // namespace crossover
