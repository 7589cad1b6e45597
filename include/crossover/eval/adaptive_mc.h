// adaptive_mc.h — adaptive Monte Carlo for multiple-choice decisions (MDM).
//
// A masked-diffusion model's log p(choice | context) is a Monte Carlo
// estimate (loglikelihood.h), and most items of a task are decided after a
// handful of samples: the right answer leads by far more than the noise.
// Adaptive mode (eval.task_mc: adaptive) draws an item's samples in rounds and
// stops the item as soon as its decision is resolved:
//
//   round 0 draws task_mc_min samples per choice (seed kTaskSeed: exactly the
//   draws of fixed mode with task_mc_samples = task_mc_min); round k ≥ 1 draws
//   task_mc_round more (seed mc_round_seed(seed, k), a fresh stratified set),
//   never beyond the cap task_mc_samples.
//   Resolved: the leading choice (largest mean) beats every other choice c by
//   z paired standard errors, mean(d) > z·se(d) with d_i = s_lead,i − s_c,i —
//   paired because the choices of an item share their draws (common random
//   numbers), which removes the item's shared noise from the difference. A
//   pair with se = 0 (both exact) is resolved. Both acc's decision (raw sums)
//   and acc_norm's (sums / characters of the choice) must be resolved.
//
// The promise: a choice that does not truly lead is declared the leader at one
// look with probability ≤ Φ(−z) per rival (one-sided test; the per-sample
// spread ignores the within-round stratification, so se errs high and the
// test is conservative), hence at most looks·(choices−1)·Φ(−z) over the whole
// run (union bound over looks). z = 3 and a 512 cap with round 16 from 32: at
// most 31 looks, ≤ 4.2% per rival in the worst case (a gap just above zero)
// and far less for the typical item. Items that never resolve stop at the cap
// (reported as mc_at_cap, adaptive's mc_ambiguous).
//
// Fixed mode (the default, for reproducing papers) is one round of
// task_mc_samples. Deliberately not here: a sequential-testing correction
// (alpha spending); the looks are few and the bound above is stated instead.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crossover/config/choices.h"

namespace crossover {

// McMode (eval.task_mc: fixed | adaptive) is config/choices.h's; crossover eval
// --task-mc parses with parse_choice<McMode>.

struct AdaptiveMcOptions {
  McMode mode = McMode::kFixed;  // eval.task_mc (the cap or fixed N is eval.task_mc_samples)
  int64_t min_samples = 32;   // eval.task_mc_min: adaptive round 0
  int64_t round = 16;         // eval.task_mc_round: samples added per later round
  double z = 3.0;             // eval.task_mc_z: paired standard errors the leader must clear
};

// The seed of adaptive round k (round 0 is the fixed-mode seed itself).
uint64_t mc_round_seed(uint64_t seed, int64_t round);

// Samples per choice of round k with `cap` samples at most (fixed mode: cap in
// round 0; 0 once the cap is reached).
int64_t mc_round_samples(const AdaptiveMcOptions& o, int64_t cap, int64_t round);

// Standard error of the mean of a[i] − b[i] (a one-value vector is exact and
// pairs with every sample of the other); 0 when both are exact.
double paired_diff_stderr(const std::vector<double>& a, const std::vector<double>& b);

// samples[c]: choice c's per-sample estimates (one value: exact); scale[c]
// divides them (1 for acc, characters for acc_norm). True when the leader
// (first maximum of the means) beats every other choice by z paired SEs.
bool mc_decision_resolved(const std::vector<std::vector<double>>& samples,
                          const std::vector<double>& scale, double z);

// One item under adaptive scoring: its choices' samples (all rounds) and how
// scoring ended.
struct McItemState {
  std::vector<std::vector<double>> samples;  // [choice][sample]
  std::vector<double> norm;                  // acc_norm's divisor per choice (characters)
  bool resolved = false;                     // both decisions cleared the z test
  int64_t rounds = 0;                        // rounds drawn
};

// Draws round `round` for the open items: returns, per open item (in the order
// given), per choice the new samples (a choice already exact returns none
// after round 0).
using McRoundSampler = std::function<std::vector<std::vector<std::vector<double>>>(
    int64_t round, const std::vector<size_t>& open)>;

// Runs the rounds on `items` (norm filled, samples empty) until each item is
// resolved or at `cap` samples. Fixed mode: one round of cap samples.
void run_adaptive_mc(std::vector<McItemState>* items, const AdaptiveMcOptions& o, int64_t cap,
                     const McRoundSampler& sampler);

// The samples an item used: the most of any of its choices (the shared draws).
int64_t mc_item_samples(const McItemState& item);

}  // namespace crossover
