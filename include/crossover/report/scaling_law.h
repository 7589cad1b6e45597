// scaling_law.h — the data-constrained scaling law (Muennighoff et al. 2023)
// fitted to a sweep's validation curves, as docs/paper.md's "Data-constrained
// scaling laws" section describes it:
//
//   L(N, U, D) = E + A / N^α + B / D′^β,
//   D′ = U_D + U_D · R_D* · (1 − exp(−R_D / R_D*)),  U_D = min(U, D),  R_D = D / U_D − 1,
//
// N non-embedding parameters, U unique tokens, D tokens seen. R_D* is the
// "half-life" of repeated data: after R_D* repetitions a further epoch is worth
// 1/e of a fresh one. At one model size the A/N^α term is a constant absorbed
// into E (the fixed-N form fits E, B, β, R_D*); when N varies the A, α pair is
// fitted too (the paper's R_N* excess-parameter decay is not: it needs a
// compute-optimal N(U) this project's sweeps do not pin down).
//
// The fit is least squares on log-loss residuals (optionally Huber, as the
// anchors fit), in transformed parameters (log E, log B, log β, log R_D*, …) so
// that every parameter stays positive, from a grid of starting points; the best
// end point wins. Uncertainty comes from a stratified bootstrap: runs are
// resampled with replacement within each (N, U) cell and the law refitted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crossover {

struct DataLaw {
  double E = 0, B = 0, beta = 0, r_star = 0;  // fixed-N form
  double A = 0, alpha = 0;                    // with_n: the A / N^α term
  bool with_n = false;
};

// The p-quantile of `v` with linear interpolation between order statistics (the
// bootstrap intervals of scaling_law and fit); ±inf values ("beyond the measured
// range") are returned as they are, never interpolated into.
double sample_quantile(std::vector<double> v, double p);

// D′ for U unique tokens and D tokens seen.
double law_effective_data(double U, double D, double r_star);
double law_loss(const DataLaw& law, double N, double U, double D);

struct LawPoint {
  double N = 0, U = 0, D = 0, L = 0;  // L: best-so-far loss at D tokens seen
  int run = 0;                        // which run it came from (the bootstrap's unit)
};

struct LawFitOptions {
  double huber_delta = 0;       // 0: plain least squares on log-loss
  double r_star_max = 1e6;      // R_D* is searched in [1e-3, r_star_max]
  int bootstrap = 200;          // resamples for the confidence intervals (0: none)
  double confidence = 0.95;
  uint64_t seed = 0;
};

struct Interval {
  double lo = 0, hi = 0;
};

struct LawFit {
  DataLaw law;
  int points = 0;
  double rmse_log = 0;                 // root-mean-square log-loss residual
  std::vector<double> residuals;       // L_pred − L_obs (nats), per point
  bool r_star_at_bound = false;        // R_D* ran to r_star_max: repetition never saturated
  // Bootstrap intervals (empty unless opts.bootstrap > 0 and ≥ 2 runs).
  Interval E_ci, B_ci, beta_ci, r_star_ci;
  int bootstrap_ok = 0;                // resamples whose fit converged to a finite cost
};

// Fits `points` (the fixed-N form unless with_n); throws Error for < 5 points
// or points with non-positive values.
LawFit law_fit(const std::vector<LawPoint>& points, bool with_n, const LawFitOptions& opts);

// Held-out check: refit without each unique budget U in turn and predict its
// points. Needs ≥ 3 distinct budgets; one row per held-out budget.
struct LawHoldout {
  double U = 0;
  int points = 0;
  double mae = 0;       // mean |L_pred − L_obs| over the held-out points (nats)
  double bias = 0;      // mean L_pred − L_obs
};
std::vector<LawHoldout> law_holdout(const std::vector<LawPoint>& points, bool with_n,
                                    const LawFitOptions& opts);

// Where `dlm`'s law falls below `ar`'s for U unique tokens at N parameters: the
// first D after which L_dlm < L_ar up to d_max. Returns -1 when it never does
// within d_max, 0 when the DLM is lower from d_min on.
double law_crossover(const DataLaw& ar, const DataLaw& dlm, double N, double U, double d_min,
                     double d_max);

}  // namespace crossover
