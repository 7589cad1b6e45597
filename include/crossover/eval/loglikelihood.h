// loglikelihood.h — log p(continuation | context) under a trained model, the
// primitive behind multiple-choice scoring (eval/multiple_choice.h).
//
// Tokenisation is lm-evaluation-harness's: trailing whitespace of the context
// (Python's str.rstrip() set: ASCII \t\n\v\f\r and space, \x1c-\x1f, U+0085,
// NBSP and the other Unicode spaces) moves to the front of the continuation, the concatenation is encoded whole
// and split at the context's token count (so BPE merges across the boundary
// belong to the continuation), an empty context becomes one EOS token, and a
// request longer than the model keeps its rightmost tokens.
//
// The estimates are the objective's (Objective::loglik_samples): AR the exact
// Σ_i log p(x_i | x_<i) over the continuation tokens; MDM (masked diffusion) a
// Monte Carlo estimate of the conditional ELBO that masks only continuation
// tokens (LLaDA's estimator, with common random numbers across the choices of
// an item; mdm_objective.h). Either is a deterministic function of the model
// and the request, whatever the batching, and every checkpoint is scored on
// the same draws. Requests are scored longest first so batches hold similar
// lengths; the head runs only at the positions scored.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crossover/data/tokenizer.h"
#include "crossover/model/transformer.h"
#include "crossover/objective/mdm_objective.h"
#include "crossover/objective/objective.h"

namespace crossover {

// The seed every task Monte Carlo mask derives from (fixed across runs on purpose).
constexpr uint64_t kTaskSeed = 0x7a5c5eedULL;

// LoglikRequest (objective/objective.h): tokens, n_context, item, choice.

// lm-eval tokenisation (above). max_tokens: the most tokens kept (AR: the
// model's max_seq_len + 1, since the last token is never an input; MDM:
// max_seq_len). Throws when the continuation alone does not fit.
LoglikRequest make_loglik_request(const Tokenizer& tok, const std::string& context,
                                  const std::string& continuation, int64_t max_tokens);

// The length in bytes of the UTF-8 string s after Python's s.rstrip().
size_t python_rstrip_length(const std::string& s);

struct LoglikOptions {
  // The model's paradigm (objective/paradigm.h): AR exact, mdm's conditional
  // ELBO, bd3's block-wise one. Its mask_eps plays no part (log-likelihoods
  // draw t over the full range).
  Paradigm paradigm;
  int64_t mc_samples = 128;        // N (MDM)
  int64_t mask_id = -1;            // [MASK] (MDM)
  uint64_t seed = kTaskSeed;
  int64_t max_batch_tokens = 8192; // rows × T per forward pass
  bool bf16 = false;               // autocast bf16 (CUDA)
  int64_t pad_to = 0;              // MDM: right-pad rows with [MASK] to this length (0 = no)
};

// mdm_answer_masks(req, mc_samples, seed, &weights), the MDM draws of one
// request, is declared in objective/mdm_objective.h (included here).

// The most tokens a request may hold for a model of max_seq_len positions
// (max_tokens of make_loglik_request): AR one more, the last token is never an input.
int64_t loglik_max_tokens(const LoglikOptions& opts, int64_t max_seq_len);

// log p(continuation | context) per request (nats, summed over the
// continuation's tokens). The model is put in eval mode for the call. With
// samples, (*samples)[q] receives request q's N per-sample estimates of the
// log-likelihood (their mean is the returned value; AR and L = 1: one exact
// value), for Monte Carlo standard errors of differences between choices.
std::vector<double> compute_logliks(Transformer& model, const std::vector<LoglikRequest>& requests,
                                    const LoglikOptions& opts, torch::Device device,
                                    std::vector<std::vector<double>>* samples = nullptr);

}  // namespace crossover
