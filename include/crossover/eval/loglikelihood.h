// loglikelihood.h — log p(continuation | context) under a trained model, the
// primitive behind multiple-choice scoring (eval/multiple_choice.h).
//
// Tokenisation is lm-evaluation-harness's: trailing whitespace of the context
// moves to the front of the continuation, the concatenation is encoded whole
// and split at the context's token count (so BPE merges across the boundary
// belong to the continuation), an empty context becomes one EOS token, and a
// request longer than the model keeps its rightmost tokens.
//
// AR: the exact Σ_i log p(x_i | x_<i) over the continuation tokens.
// MDM (masked diffusion): a Monte Carlo estimate of the conditional ELBO,
// masking only continuation tokens (LLaDA's estimator). With L continuation
// tokens and N samples, sample i masks l_i of them, the counts stratified over
// 1..L: l_i = 1 + ⌊L·frac(u + i/N)⌋ with one u ~ U[0,1);
//   −log p(answer | context) ≈ (1/N) Σ_i (L/l_i) Σ_{masked j} −log p(x_j | x_masked).
// This is an upper bound on the exact −log p (an ELBO); for L = 1 it is exact
// (−log p(x | context, [MASK])), so one sample is used whatever N is.
// Common random numbers across the choices of an item: u is drawn from a
// generator keyed by (seed, item), and sample i masks the l_i continuation
// positions with the smallest uniforms r_i(j), where r_·(j) comes from a
// generator keyed by (seed, item, j) — never by the choice. Every choice of an
// item therefore sees the same strata, two choices of equal length the same
// masks, and two choices of different lengths agree position by position as far
// as their counts allow; the choices' scores then differ by the model, not by
// the draws, which is what accuracy compares. The masked set is still a uniform
// l_i-subset (ranks of i.i.d. uniforms), so each choice's estimate is unbiased.
// The estimate is a deterministic function of the model and the request,
// whatever the batching, and every checkpoint is scored on the same masks.
//
// Cost: the output head and the softmax run only at masked continuation
// positions (hidden states of the other positions are never projected to V).
// Optionally (pad_to > 0) a row is right-padded to pad_to tokens with [MASK],
// as SMDM scores: the model then sees the row length it trained on.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crossover/data/tokenizer.h"
#include "crossover/model/transformer.h"

namespace crossover {

// The seed every task Monte Carlo mask derives from (fixed across runs on purpose).
constexpr uint64_t kTaskSeed = 0x7a5c5eedULL;

struct LoglikRequest {
  std::vector<int64_t> tokens;  // context then continuation, already truncated
  int64_t n_context = 0;        // tokens[0, n_context) is context; at least 1 continuation token
  int64_t item = 0, choice = 0; // item keys the Monte Carlo draws (shared by its choices)
  int64_t continuation_tokens() const {
    return static_cast<int64_t>(tokens.size()) - n_context;
  }
};

// lm-eval tokenisation (above). max_tokens: the most tokens kept (AR: the
// model's max_seq_len + 1, since the last token is never an input; MDM:
// max_seq_len). Throws when the continuation alone does not fit.
LoglikRequest make_loglik_request(const Tokenizer& tok, const std::string& context,
                                  const std::string& continuation, int64_t max_tokens);

struct LoglikOptions {
  bool diffusion = false;          // MDM estimator instead of exact AR
  int64_t mc_samples = 128;        // N (MDM)
  int64_t mask_id = -1;            // [MASK] (MDM)
  uint64_t seed = kTaskSeed;
  int64_t max_batch_tokens = 8192; // rows × T per forward pass
  bool bf16 = false;               // autocast bf16 (CUDA)
  int64_t pad_to = 0;              // MDM: right-pad rows with [MASK] to this length (0 = no)
};

// The Monte Carlo masks of one MDM request over its continuation: (N, L) bool,
// N = mc_samples (1 when L = 1), row i masking l_i positions (above), and in
// *weights the N factors L / l_i. A pure function of (seed, item, N, L).
torch::Tensor mdm_answer_masks(const LoglikRequest& req, int64_t mc_samples, uint64_t seed,
                               std::vector<double>* weights);

// log p(continuation | context) per request (nats, summed over the
// continuation's tokens). The model is put in eval mode for the call. With
// samples, (*samples)[q] receives request q's N per-sample estimates of the
// log-likelihood (their mean is the returned value; AR and L = 1: one exact
// value), for Monte Carlo standard errors of differences between choices.
std::vector<double> compute_logliks(Transformer& model, const std::vector<LoglikRequest>& requests,
                                    const LoglikOptions& opts, torch::Device device,
                                    std::vector<std::vector<double>>* samples = nullptr);

}  // namespace crossover
