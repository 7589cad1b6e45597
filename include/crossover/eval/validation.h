// validation.h — the validation loss both paradigms are compared on.
//
// Both paradigms score the same T targets of every (T+1)-token window: the
// tokens x_1..x_T. AR: exact NLL per token, inputs x_0..x_{T−1} (causal,
// shifted). MDM: the negative ELBO per token of x_1..x_T, an upper bound on
// their NLL given nothing else, so a DLM below an AR model is a real win. The
// estimates are the objective's (Objective::validation_loss_sums;
// mdm_objective.h describes the MDM one: K Monte Carlo masks per window, t
// stratified across them, drawn on the CPU from a generator keyed by
// (kValidationSeed, window index), so every checkpoint of every run is scored
// on the same masks whatever the batch size, rank count or device). The
// standard error is the spread of the K per-sample estimates / √K.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "crossover/model/transformer.h"
#include "crossover/objective/paradigm.h"

namespace crossover {

class Dist;

struct ValidationOptions {
  // The model's paradigm (objective/paradigm.h): AR exact NLL, mdm negative
  // ELBO, bd3 block NELBO; its mask_eps is the diffusion draws' t floor.
  Paradigm paradigm;
  int64_t mc_samples = 4;    // K (mdm, bd3)
  int64_t mask_id = 0;
  double bytes_per_token = 1.0;  // for bits/byte
  bool bf16 = false;
};

struct ValidationResult {
  double loss = 0;      // nats/token
  double loss_se = 0;   // Monte Carlo standard error (0 for AR)
  double bpb = 0;       // bits per UTF-8 byte
  int64_t tokens = 0;   // tokens scored
};

// batches: (b, T+1) int64 windows, in validation-set order (window w is row
// w − Σ earlier batch rows of its batch). With dist, batch i is scored by rank i % world
// and the sums are all-reduced, so every rank returns the same numbers.
ValidationResult evaluate_validation(Transformer& model, const std::vector<torch::Tensor>& batches,
                                     const ValidationOptions& opts, torch::Device device,
                                     Dist* dist = nullptr);

// The seed every validation mask derives from (fixed across runs on purpose).
constexpr uint64_t kValidationSeed = 0x5eed5eedULL;

}  // namespace crossover
