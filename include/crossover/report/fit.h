// fit.h — `crossover fit`: the numbers a referee asks of a sweep, each with a
// confidence interval.
//
//   1. Crossover points (current-value and best-so-far, the report's
//      comparisons) with a bootstrap interval over seeds, widened by the
//      evaluation grid: a crossing found between two evaluations could lie
//      anywhere between them, so each resample contributes the evaluation
//      bracket around its crossing, and the interval runs from the lower
//      quantile of the bracket starts to the upper quantile of the bracket ends.
//   2. The data-efficiency factor: for each DLM budget U_d, the AR budget U_a
//      whose best loss equals the DLM's best (the smallest such U_a, the AR
//      curve of best loss over budgets interpolated linearly in log U), as
//      U_a / U_d, with a bootstrap interval over seeds; and the reverse (for
//      each AR budget, the DLM budget that matches it). A DLM better than AR's
//      largest budget gives a lower bound ("≥"), one worse than AR's smallest
//      an upper bound.
//   3. A data-constrained scaling law per variant (scaling_law.h) fitted on the
//      best-so-far curve of every run (each evaluation after the LR warm-up is a
//      (U, D, L) point),
//      with residuals, bootstrap intervals and a held-out-budget check. (The
//      running best of a noisy estimate is biased low, the more so the more
//      evaluations precede it: the DLM's Monte Carlo validation needs enough
//      samples that its standard error is small beside the gaps fitted.)
//   4. The predicted best-so-far crossover for each budget from the AR and DLM
//      laws, beside the measured one.
//
// Families. Runs are grouped as `crossover report` groups them; a *family* is
// the set of report groups that differ only in the unique-token budget
// (data.unique_tokens) and the data subset (data.subset_seed, which, like
// run.seed, is a seed: the seeds of a cell are (run.seed, data.subset_seed)).
// With pool_models the model's size keys (model.* except dropout) leave the
// family key too, and the laws take the form with the A/N^α term.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crossover/report/report.h"
#include "crossover/report/scaling_law.h"

namespace crossover {

struct FitOptions {
  std::string metric = "val_loss";  // a lower-is-better metric of the runs
  int bootstrap = 1000;             // resamples for crossover and efficiency intervals
  LawFitOptions law;                // law fits (law.bootstrap resamples)
  bool pool_models = false;
  // Law points start after this many LR warm-ups (train.lr_warmup_steps × batch ×
  // seq_len tokens): during warm-up the loss measures the optimiser, not the data.
  double law_after_warmups = 1.0;
  double confidence = 0.95;
  uint64_t seed = 0;
};

// An interval that may be open: hi_open says that more than (1 − confidence)/2
// of the resamples fell beyond the measured range (hi = +inf); lo_open that the
// lower end is unbounded too — lo = −inf for a factor that is only bounded above,
// lo = +inf for a crossover that (nearly) no resample found within the range.
struct OpenInterval {
  double lo = 0, hi = 0;
  bool lo_open = false, hi_open = false;
};

struct CrossoverFit {
  std::string group, ar, dlm, kind;  // kind: current | best
  Crossover point;                   // on the seed-mean curves (the report's number)
  double grid_lo = -1, grid_hi = -1; // the evaluation bracket around point.tokens
  OpenInterval ci;                   // bootstrap over seeds ∪ grid
  double crossed_fraction = 0;       // resamples with a crossover (or DLM better from the start)
  int ar_seeds = 0, dlm_seeds = 0;
  double epoch_per_token = 0;        // 1 / unique tokens (0 unknown)
  double predicted = -2;             // the laws' prediction (-1 none in range, -2 no laws)
};

struct EfficiencyFit {
  std::string family, ar, dlm;
  std::string direction;    // dlm_to_ar: U_a(U_d) / U_d; ar_to_dlm: U_a / U_d(U_a)
  double budget = 0;        // the budget read off (U_d for dlm_to_ar, U_a for ar_to_dlm)
  double loss = 0;          // that budget's mean best loss
  double matched = 0;       // the other paradigm's budget with the same best loss
  double factor = 0;        // U_a / U_d
  int bound = 0;            // 0 exact; +1 factor is a lower bound (≥); −1 an upper bound (≤)
  OpenInterval ci;          // bootstrap interval of the factor
};

struct LawReport {
  std::string family, variant, kind;  // kind: objective.kind
  std::vector<std::pair<std::string, std::string>> settings;  // the variant's (ReportVariant::settings)
  bool dlm = false;
  LawFit fit;
  std::vector<LawHoldout> holdout;
  std::vector<LawPoint> points;
};

struct FitReport {
  std::string metric;
  double confidence = 0.95;
  std::vector<CrossoverFit> crossovers;
  std::vector<EfficiencyFit> efficiency;
  std::vector<LawReport> laws;
  std::vector<std::string> notes;  // what could not be computed, and why
};

FitReport fit_runs(const Report& report, const FitOptions& opts);

std::string fit_table(const FitReport& f);
std::string fit_json(const FitReport& f);
std::string fit_csv(const FitReport& f);  // one row per crossover / efficiency / law

// Pieces exposed for tests.
// The evaluation bracket [lo, hi] around a crossing at `tokens`: the nearest
// evaluation points of either curve at or below and at or above it (lo = 0 for a
// DLM better from the start).
std::pair<double, double> crossover_bracket(const Curve& ar, const Curve& dlm, const Crossover& c);
// The smallest budget at which `loss` is reached on the curve of best loss
// over budgets (interpolated in log U); bound −1: reached at or below the
// smallest budget (returns it), +1: never reached (returns the largest).
double budget_matching_loss(const std::vector<double>& budgets, const std::vector<double>& losses,
                            double loss, int* bound);

}  // namespace crossover
