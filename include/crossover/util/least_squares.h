// least_squares.h — a small Levenberg–Marquardt solver for nonlinear least
// squares: minimise ½ Σ_i ρ(r_i(x)²) over a handful of parameters.
//
// What it is: dense, numeric (central-difference) Jacobian, Marquardt's
// diagonal scaling, a Cholesky solve of the damped normal equations; the
// robust loss is applied by iteratively reweighting (IRLS), with ρ = Huber
// (SciPy's `loss="huber"` with f_scale = huber_delta). Enough for scaling-law
// fits (≤ 8 parameters, ≤ 10⁴ residuals); tested against SciPy's
// least_squares on the same points (tests/util/least_squares_test.cpp).
// What it is not: a bounded or sparse solver. Bounds are the caller's
// business (fit transformed parameters, e.g. log B instead of B).
#pragma once

#include <functional>
#include <vector>

namespace crossover {

// Fills r (size = number of residuals, fixed across calls) at x.
using ResidualFn = std::function<void(const std::vector<double>& x, std::vector<double>& r)>;

struct LsqOptions {
  int max_iterations = 200;
  double x_tol = 1e-10;       // stop when the step is this small relative to |x| + x_tol
  double cost_tol = 1e-14;    // stop when the cost falls by less than this (relative)
  double huber_delta = 0;     // > 0: Huber loss on residuals with this scale (IRLS)
  double initial_lambda = 1e-3;
};

struct LsqResult {
  std::vector<double> x;          // the minimiser found
  std::vector<double> residuals;  // r(x)
  double cost = 0;                // ½ Σ ρ(r²) at x (plain ½ Σ r² without Huber)
  int iterations = 0;
  bool converged = false;         // a tolerance was met before max_iterations
};

LsqResult lsq_solve(const ResidualFn& f, std::vector<double> x0, int n_residuals,
                    const LsqOptions& opts = {});

// ½ Σ ρ(r_i²) with SciPy's Huber ρ(z) = z for z ≤ δ², 2δ√z − δ² beyond; δ = 0: plain.
double lsq_cost(const std::vector<double>& r, double huber_delta);

}  // namespace crossover
