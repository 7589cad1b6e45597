// least_squares.cpp — see least_squares.h.
#include "crossover/util/least_squares.h"

#include <algorithm>
#include <cmath>

namespace crossover {
namespace {

using Matrix = std::vector<std::vector<double>>;

// Solves A x = b for symmetric positive-definite A (Cholesky); false if A is not.
bool cholesky_solve(Matrix a, std::vector<double> b, std::vector<double>& x) {
  const size_t n = b.size();
  for (size_t j = 0; j < n; ++j) {
    double d = a[j][j];
    for (size_t k = 0; k < j; ++k) d -= a[j][k] * a[j][k];
    if (!(d > 0) || !std::isfinite(d)) return false;
    a[j][j] = std::sqrt(d);
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i][j];
      for (size_t k = 0; k < j; ++k) s -= a[i][k] * a[j][k];
      a[i][j] = s / a[j][j];
    }
  }
  for (size_t i = 0; i < n; ++i) {  // L y = b
    for (size_t k = 0; k < i; ++k) b[i] -= a[i][k] * b[k];
    b[i] /= a[i][i];
  }
  x.assign(n, 0);
  for (size_t i = n; i-- > 0;) {  // Lᵀ x = y
    double s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= a[k][i] * x[k];
    x[i] = s / a[i][i];
  }
  return true;
}

// IRLS weights for the Huber loss: 1 inside δ, δ/|r| beyond (so w·r² grows like 2δ|r|).
std::vector<double> huber_weights(const std::vector<double>& r, double delta) {
  std::vector<double> w(r.size(), 1.0);
  if (delta <= 0) return w;
  for (size_t i = 0; i < r.size(); ++i)
    if (std::abs(r[i]) > delta) w[i] = delta / std::abs(r[i]);
  return w;
}

bool all_finite(const std::vector<double>& v) {
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace

double lsq_cost(const std::vector<double>& r, double huber_delta) {
  double c = 0;
  for (double v : r) {
    double z = v * v;
    if (huber_delta > 0 && z > huber_delta * huber_delta)
      c += 2 * huber_delta * std::abs(v) - huber_delta * huber_delta;
    else
      c += z;
  }
  return 0.5 * c;
}

LsqResult lsq_solve(const ResidualFn& f, std::vector<double> x, int n_residuals,
                    const LsqOptions& opts) {
  const size_t n = x.size(), m = static_cast<size_t>(n_residuals);
  LsqResult res;
  std::vector<double> r(m), rp(m), rm(m), trial_r(m), step;
  f(x, r);
  double cost = all_finite(r) ? lsq_cost(r, opts.huber_delta) : INFINITY;
  double lambda = opts.initial_lambda;
  Matrix jac(m, std::vector<double>(n));
  for (int it = 0; it < opts.max_iterations && std::isfinite(cost); ++it) {
    res.iterations = it + 1;
    // Central differences, step scaled to the parameter.
    for (size_t j = 0; j < n; ++j) {
      const double h = 1e-6 * std::max(1.0, std::abs(x[j]));
      std::vector<double> xp = x, xm = x;
      xp[j] += h;
      xm[j] -= h;
      f(xp, rp);
      f(xm, rm);
      for (size_t i = 0; i < m; ++i) jac[i][j] = (rp[i] - rm[i]) / (2 * h);
    }
    const std::vector<double> w = huber_weights(r, opts.huber_delta);
    Matrix jtj(n, std::vector<double>(n, 0));
    std::vector<double> jtr(n, 0);
    for (size_t i = 0; i < m; ++i)
      for (size_t a = 0; a < n; ++a) {
        jtr[a] += w[i] * jac[i][a] * r[i];
        for (size_t b = 0; b <= a; ++b) jtj[a][b] += w[i] * jac[i][a] * jac[i][b];
      }
    for (size_t a = 0; a < n; ++a)
      for (size_t b = a + 1; b < n; ++b) jtj[a][b] = jtj[b][a];
    bool improved = false;
    for (int tries = 0; tries < 30 && !improved; ++tries) {
      Matrix damped = jtj;
      for (size_t a = 0; a < n; ++a) damped[a][a] += lambda * std::max(jtj[a][a], 1e-12);
      std::vector<double> neg(n);
      for (size_t a = 0; a < n; ++a) neg[a] = -jtr[a];
      if (!cholesky_solve(damped, neg, step)) {
        lambda *= 10;
        continue;
      }
      std::vector<double> xt(n);
      for (size_t a = 0; a < n; ++a) xt[a] = x[a] + step[a];
      f(xt, trial_r);
      const double tc = all_finite(trial_r) ? lsq_cost(trial_r, opts.huber_delta) : INFINITY;
      if (tc < cost) {
        double step_norm = 0, x_norm = 0;
        for (size_t a = 0; a < n; ++a) {
          step_norm += step[a] * step[a];
          x_norm += x[a] * x[a];
        }
        const double drop = (cost - tc) / std::max(cost, 1e-300);
        x = xt;
        r = trial_r;
        cost = tc;
        lambda = std::max(lambda / 10, 1e-12);
        improved = true;
        if (std::sqrt(step_norm) < opts.x_tol * (std::sqrt(x_norm) + opts.x_tol) ||
            drop < opts.cost_tol) {
          res.converged = true;
        }
      } else {
        lambda *= 10;
      }
    }
    if (!improved) {  // no damping gives a lower cost: a (local) minimum
      res.converged = true;
    }
    if (res.converged) break;
  }
  res.x = x;
  res.residuals = r;
  res.cost = cost;
  return res;
}

}  // namespace crossover
