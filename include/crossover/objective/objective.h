// objective.h — the one seam between AR and masked-diffusion training and
// evaluation.
//
// An Objective turns the data loader's (B, T+1) token windows into what the
// model sees (inputs, the `causal` flag) and what the loss supervises
// (targets, per-token weights), and it owns the estimators evaluation compares
// the paradigms with: the validation loss of a window and the conditional
// log-likelihood of a continuation. The model, trainer and evaluator never ask
// which objective they run; everything that differs lives behind this
// interface (ar_objective.h, mdm_objective.h).
//
// Loss contract: objective_loss_sum() is Σ weights · CE(logits, targets) over
// the micro-batch; the trainer divides by the GLOBAL number of tokens in the
// step (B_global · T), never by the number of supervised tokens, so results do
// not depend on micro-batching or world size. For masked diffusion with inv_t
// weights this makes loss_sum / (B·T) a Monte Carlo estimate of the negative
// ELBO per token (inv_realised is biased low; mdm_objective.h).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crossover/config/config.h"
#include "crossover/model/attention_layout.h"
#include "crossover/objective/paradigm.h"

namespace crossover {

class TransformerImpl;  // model/transformer.h

struct ObjectiveBatch {
  torch::Tensor inputs;   // (B, L) int64 fed to the model (L = T; bd3: 2T)
  torch::Tensor targets;  // (B, L) int64
  torch::Tensor weights;  // (B, L) float32: per-token loss weight (0 = not supervised)
  bool causal = true;     // layout is causal (kept for readers of the AR/MDM flag)
  AttentionLayout layout; // what the model's attention may see (model/attention_layout.h)
  bool sparse = false;    // weights are 0 at many positions (mdm): the head may skip them
  // sparse: the (M) int64 flat positions with weight != 0, on the device, found
  // where the mask was drawn (the CPU), so no device read sizes the gather;
  // undefined: found from weights (nonzero, a host sync on a GPU).
  torch::Tensor supervised;
};

// A conditional log-likelihood query, log p(tokens[n_context:] | tokens[:n_context])
// (eval/loglikelihood.h builds them with lm-eval's tokenisation).
struct LoglikRequest {
  std::vector<int64_t> tokens;  // context then continuation, already truncated
  int64_t n_context = 0;        // tokens[0, n_context) is context; at least 1 continuation token
  int64_t item = 0, choice = 0; // item keys the Monte Carlo draws (shared by its choices)
  int64_t continuation_tokens() const {
    return static_cast<int64_t>(tokens.size()) - n_context;
  }
};

// How an evaluation estimate runs (eval/validation.h, eval/loglikelihood.h).
struct EstimateOptions {
  int64_t mc_samples = 1;           // Monte Carlo samples (MDM; AR is exact)
  uint64_t seed = 0;                // the fixed seed every draw derives from
  int64_t max_batch_tokens = 8192;  // log-likelihoods: rows × T per forward pass
  int64_t pad_to = 0;               // MDM log-likelihoods: right-pad rows with [MASK] (0 = no)
  bool bf16 = false;                // autocast bf16 (CUDA)
};

class Objective {
 public:
  virtual ~Objective() = default;
  virtual bool causal() const = 0;
  virtual std::string name() const = 0;
  // What the trained model is (objective/paradigm.h): how evaluation scores it.
  virtual Paradigm paradigm() const = 0;
  // Positions the model processes per target token in training: 1, or 2 for
  // bd3 (x_t and x_0 side by side). FLOPs/token and MFU multiply by it.
  virtual double compute_multiplier() const { return 1.0; }
  // Length this whole step trains on: T, or (mdm, with prob short_seq_prob) a
  // uniform length in [2, T). step_gen is a CPU generator for the step shared by
  // all ranks, so every rank and micro-batch truncates alike.
  virtual int64_t step_seq_len(int64_t T, torch::Generator& step_gen) const;
  // tokens: (B, T+1) int64 windows from the data loader. AR shifts (inputs =
  // tokens[:, :L], targets = tokens[:, 1:L+1]); MDM predicts in place on
  // tokens[:, :L]. seq_len L from step_seq_len(); gen: the (seed, "mask", step,
  // global micro-batch) generator (CPU or on tokens' device). Returns (B, L)
  // tensors on tokens' device.
  virtual ObjectiveBatch prepare(const torch::Tensor& tokens, int64_t seq_len,
                                 torch::Generator& gen) const = 0;

  // ---- Evaluation (no gradients; the caller sets eval mode). ----
  // Samples a validation estimate has per window: 1 for exact AR, mc_samples
  // (at least 1) for MDM.
  virtual int64_t validation_samples(int64_t mc_samples) const { return 1; }
  // The validation loss of b windows (b, T+1) int64 on the model's device,
  // the first of them window `first` of the validation set. Both paradigms
  // score the targets x_1..x_T of each window. Returns (K) float64 on the CPU,
  // K = validation_samples(o.mc_samples): entry k is sample k's loss summed
  // over the b·T targets (nats). Draws derive from (o.seed, window index) only.
  virtual torch::Tensor validation_loss_sums(TransformerImpl& model, const torch::Tensor& windows,
                                             int64_t first, const EstimateOptions& o) const = 0;
  // The most tokens a log-likelihood request may hold for a model with
  // max_seq_len positions (AR: one more, the last token is never an input).
  virtual int64_t loglik_max_tokens(int64_t max_seq_len) const { return max_seq_len; }
  // Estimates of log p(continuation | context) per request (nats, summed over
  // the continuation): AR one exact value, MDM o.mc_samples Monte Carlo values
  // (one when the continuation is one token) whose mean is its estimate.
  // Requests are batched in the order given (longest first batches best;
  // eval/loglikelihood.h sorts them).
  virtual std::vector<std::vector<double>> loglik_samples(TransformerImpl& model,
                                                          const std::vector<LoglikRequest>& requests,
                                                          const EstimateOptions& o,
                                                          torch::Device device) const = 0;
};

// kind ar | ar_noise | mdm. mask_id: the tokenizer's [MASK] id (needed by
// mdm and ar_noise; may be -1 for ar).
std::unique_ptr<Objective> make_objective(const ObjectiveConfig& cfg, int64_t mask_id);

// The objective whose estimators score a model of `paradigm`
// (objective/paradigm.h): exact AR likelihoods, mdm's (negative ELBO, Monte
// Carlo conditional ELBO) or bd3's block-wise ones. Evaluation depends on
// nothing else of the training objective (not its weighting, t sampling or
// input noise), only on the paradigm (its block size and mask_eps) and the
// [MASK] id.
std::unique_ptr<Objective> make_eval_objective(const Paradigm& paradigm, int64_t mask_id);

// True for the objective kinds whose model attends bidirectionally (mdm, bd3): for
// readers of a run's `objective.kind` (reports) that have no Objective built.
bool objective_kind_is_diffusion(ObjectiveKind kind);

// Σ weights · CE(logits, targets) over the batch: a scalar (float32, or float64
// for float64 logits). logits (B, T, V); targets, weights from `batch`.
torch::Tensor objective_loss_sum(const torch::Tensor& logits, const ObjectiveBatch& batch);

// The same sum from the model's hidden states (B, T, C) (model/output_head.h).
// For a sparse batch the output head and the cross-entropy run only at the M
// positions with weight != 0, (M, C) -> (M, V): masked diffusion supervises
// about half of a row, so this skips half of the head's FLOPs and memory
// (forward and backward). Equal, to floating-point tolerance, to
// objective_loss_sum(transformer_head(hidden), batch) (tests/objective).
// chunk_rows > 0 (train/plan.h's loss_chunk_tokens()): more rows than that go through
// chunked_head_loss_sum (model/output_head.h), so at most chunk_rows rows of
// (·, V) logits exist at once, forward and backward.
torch::Tensor objective_loss_sum_hidden(TransformerImpl& model, const torch::Tensor& hidden,
                                        const ObjectiveBatch& batch, int64_t chunk_rows = 0);

// −log p(target) per position, float64: logits (..., V) (float32 for reduced
// precision, float64 kept), targets (...) int64 -> (...).
torch::Tensor token_nll(const torch::Tensor& logits, const torch::Tensor& targets);

}  // namespace crossover
