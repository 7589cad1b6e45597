// objective.h — the one seam between AR and masked-diffusion training.
//
// An Objective turns the data loader's (B, T+1) token windows into what the
// model sees (inputs, the `causal` flag) and what the loss supervises
// (targets, per-token weights). The model, trainer and evaluator never ask
// which objective they run; everything that differs lives behind this
// interface (ar_objective.h, mdm_objective.h).
//
// Loss contract: objective_loss_sum() is Σ weights · CE(logits, targets) over
// the micro-batch; the trainer divides by the GLOBAL number of tokens in the
// step (B_global · T), never by the number of supervised tokens, so results do
// not depend on micro-batching or world size. For masked diffusion this makes
// loss_sum / (B·T) a Monte Carlo estimate of the negative ELBO per token.
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>

#include "crossover/config/config.h"

namespace crossover {

class TransformerImpl;  // model/transformer.h

struct ObjectiveBatch {
  torch::Tensor inputs;   // (B, T) int64 fed to the model
  torch::Tensor targets;  // (B, T) int64
  torch::Tensor weights;  // (B, T) float32: per-token loss weight (0 = not supervised)
  bool causal = true;     // attention mode for the model
  bool sparse = false;    // weights are 0 at many positions (mdm): the head may skip them
};

class Objective {
 public:
  virtual ~Objective() = default;
  virtual bool causal() const = 0;
  virtual std::string name() const = 0;
  // Length this whole step trains on: T, or (mdm, with prob short_seq_prob) a
  // uniform length in [2, T). step_gen is a CPU generator for the step shared by
  // all ranks, so every rank and micro-batch truncates alike.
  virtual int64_t step_seq_len(int64_t T, torch::Generator& step_gen) const;
  // tokens: (B, T+1) int64 windows from the data loader. AR shifts (inputs =
  // tokens[:, :L], targets = tokens[:, 1:L+1]); MDM predicts in place on
  // tokens[:, :L]. seq_len L from step_seq_len(); gen: the (seed, "mask", step,
  // rank, micro) generator (CPU or on tokens' device). Returns (B, L) tensors
  // on tokens' device.
  virtual ObjectiveBatch prepare(const torch::Tensor& tokens, int64_t seq_len,
                                 torch::Generator& gen) const = 0;
};

// kind ar | ar_noise | mdm. mask_id: the tokenizer's [MASK] id (needed by
// mdm and ar_noise; may be -1 for ar).
std::unique_ptr<Objective> make_objective(const ObjectiveConfig& cfg, int64_t mask_id);

// Σ weights · CE(logits, targets) over the batch: a scalar (float32, or float64
// for float64 logits). logits (B, T, V); targets, weights from `batch`.
torch::Tensor objective_loss_sum(const torch::Tensor& logits, const ObjectiveBatch& batch);

// The same sum from the model's hidden states (B, T, C) (model/output_head.h).
// For a sparse batch the output head and the cross-entropy run only at the M
// positions with weight != 0, (M, C) -> (M, V): masked diffusion supervises
// about half of a row, so this skips half of the head's FLOPs and memory
// (forward and backward). Equal, to floating-point tolerance, to
// objective_loss_sum(transformer_head(hidden), batch) (tests/objective).
torch::Tensor objective_loss_sum_hidden(TransformerImpl& model, const torch::Tensor& hidden,
                                        const ObjectiveBatch& batch);

}  // namespace crossover
