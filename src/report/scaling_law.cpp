// scaling_law.cpp — see scaling_law.h.
#include "crossover/report/scaling_law.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "crossover/util/check.h"
#include "crossover/util/least_squares.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

constexpr double kRStarMin = 1e-3;

// θ = (log E, log B, log β, log R*[, log A, log α]).
DataLaw law_from_theta(const std::vector<double>& t, bool with_n, double r_star_max) {
  DataLaw l;
  l.E = std::exp(t[0]);
  l.B = std::exp(t[1]);
  l.beta = std::exp(t[2]);
  l.r_star = std::exp(std::clamp(t[3], std::log(kRStarMin), std::log(r_star_max)));
  l.with_n = with_n;
  if (with_n) {
    l.A = std::exp(t[4]);
    l.alpha = std::exp(t[5]);
  }
  return l;
}

std::vector<double> theta_from_law(const DataLaw& l) {
  std::vector<double> t = {std::log(l.E), std::log(l.B), std::log(l.beta), std::log(l.r_star)};
  if (l.with_n) {
    t.push_back(std::log(l.A));
    t.push_back(std::log(l.alpha));
  }
  return t;
}

struct Solved {
  DataLaw law;
  double cost = INFINITY;
};

Solved solve_from(const std::vector<LawPoint>& pts, const DataLaw& start, const LawFitOptions& opts) {
  const bool with_n = start.with_n;
  ResidualFn f = [&](const std::vector<double>& t, std::vector<double>& r) {
    DataLaw l = law_from_theta(t, with_n, opts.r_star_max);
    for (size_t i = 0; i < pts.size(); ++i)
      r[i] = std::log(law_loss(l, pts[i].N, pts[i].U, pts[i].D)) - std::log(pts[i].L);
  };
  LsqOptions lo;
  lo.huber_delta = opts.huber_delta;
  lo.max_iterations = 300;
  LsqResult res = lsq_solve(f, theta_from_law(start), static_cast<int>(pts.size()), lo);
  Solved s;
  if (std::isfinite(res.cost)) {
    s.law = law_from_theta(res.x, with_n, opts.r_star_max);
    s.cost = res.cost;
  }
  return s;
}

// The grid of starting points; B is set so the law passes through the median
// point (given the other parameters), which keeps every start near the data.
std::vector<DataLaw> starts_for(const std::vector<LawPoint>& pts, bool with_n) {
  double l_min = INFINITY;
  for (const auto& p : pts) l_min = std::min(l_min, p.L);
  std::vector<LawPoint> sorted = pts;
  std::sort(sorted.begin(), sorted.end(), [](const LawPoint& a, const LawPoint& b) { return a.L < b.L; });
  const LawPoint med = sorted[sorted.size() / 2];
  double n_mean = 0;
  for (const auto& p : pts) n_mean += p.N / pts.size();
  std::vector<DataLaw> out;
  for (double e_frac : {0.3, 0.7, 0.95})
    for (double beta : {0.15, 0.4, 1.0})
      for (double r_star : {1.0, 15.0, 200.0, 5000.0}) {
        DataLaw l;
        l.E = e_frac * l_min;
        l.beta = beta;
        l.r_star = r_star;
        l.with_n = with_n;
        double excess = std::max(med.L - l.E, 1e-3 * med.L);
        if (with_n) {
          l.alpha = 0.3;
          l.A = 0.5 * excess * std::pow(n_mean, l.alpha);  // half the excess from N at the mean N
          excess *= 0.5;
        }
        l.B = excess * std::pow(law_effective_data(med.U, med.D, r_star), beta);
        out.push_back(l);
      }
  return out;
}

Solved solve_best(const std::vector<LawPoint>& pts, const std::vector<DataLaw>& starts,
                  const LawFitOptions& opts) {
  Solved best;
  for (const auto& s : starts) {
    Solved r = solve_from(pts, s, opts);
    if (r.cost < best.cost) best = r;
  }
  return best;
}

Interval percentile_interval(std::vector<double> v, double confidence) {
  Interval iv;
  if (v.empty()) return iv;
  const double a = (1 - confidence) / 2;
  iv.lo = sample_quantile(v, a);
  iv.hi = sample_quantile(v, 1 - a);
  return iv;
}

void check_points(const std::vector<LawPoint>& pts, bool with_n) {
  CROSSOVER_CHECK(pts.size() >= (with_n ? 7u : 5u), "a scaling-law fit needs at least ",
                  with_n ? 7 : 5, " points (got ", pts.size(),
                  "); hint: evaluate more often (eval.every) or add runs");
  for (const auto& p : pts)
    CROSSOVER_CHECK(p.U > 0 && p.D > 0 && p.L > 0 && (!with_n || p.N > 0),
                    "scaling-law point with a non-positive value (N ", p.N, ", U ", p.U, ", D ", p.D,
                    ", L ", p.L, "); hint: runs need data.unique_tokens > 0");
}

}  // namespace

double sample_quantile(std::vector<double> v, double p) {
  CROSSOVER_CHECK(!v.empty(), "sample_quantile of no values");
  std::sort(v.begin(), v.end());
  const double pos = p * (v.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  const size_t j = std::min(i + 1, v.size() - 1);
  if (std::isinf(v[i]) || std::isinf(v[j])) return v[p < 0.5 ? i : j];
  return v[i] + (pos - i) * (v[j] - v[i]);
}

double law_effective_data(double U, double D, double r_star) {
  const double ud = std::min(U, D);
  const double r = D / ud - 1;
  return ud + ud * r_star * (1 - std::exp(-r / r_star));
}

double law_loss(const DataLaw& law, double N, double U, double D) {
  double l = law.E + law.B / std::pow(law_effective_data(U, D, law.r_star), law.beta);
  if (law.with_n) l += law.A / std::pow(N, law.alpha);
  return l;
}

LawFit law_fit(const std::vector<LawPoint>& points, bool with_n, const LawFitOptions& opts) {
  check_points(points, with_n);
  LawFit fit;
  Solved best = solve_best(points, starts_for(points, with_n), opts);
  CROSSOVER_CHECK(std::isfinite(best.cost), "the scaling-law fit found no finite solution from any ",
                  "starting point (", points.size(), " points)");
  fit.law = best.law;
  fit.points = static_cast<int>(points.size());
  double ss = 0;
  for (const auto& p : points) {
    const double pred = law_loss(fit.law, p.N, p.U, p.D);
    fit.residuals.push_back(pred - p.L);
    ss += std::pow(std::log(pred) - std::log(p.L), 2);
  }
  fit.rmse_log = std::sqrt(ss / points.size());
  fit.r_star_at_bound = fit.law.r_star > 0.5 * opts.r_star_max;

  // Stratified bootstrap: the runs of each (N, U) cell are resampled with
  // replacement (points travel with their run), so every budget stays present.
  std::map<std::pair<double, double>, std::vector<int>> cells;
  std::map<int, std::vector<const LawPoint*>> by_run;
  for (const auto& p : points) by_run[p.run].push_back(&p);
  for (const auto& kv : by_run) {
    auto key = std::make_pair(kv.second[0]->N, kv.second[0]->U);
    cells[key].push_back(kv.first);
  }
  if (opts.bootstrap <= 0 || by_run.size() < 2) return fit;
  // Starts for the resamples: the full fit, and one grid point in case a
  // resample's minimum is far from it.
  std::vector<DataLaw> starts = {fit.law, starts_for(points, with_n)[17]};
  std::vector<double> es, bs, betas, rs;
  for (int k = 0; k < opts.bootstrap; ++k) {
    std::mt19937_64 gen(derive_seed(opts.seed, "law-bootstrap", k));
    std::vector<LawPoint> sample;
    int next_run = 0;
    for (const auto& cell : cells) {
      const auto& runs = cell.second;
      std::uniform_int_distribution<size_t> pick(0, runs.size() - 1);
      for (size_t i = 0; i < runs.size(); ++i) {
        for (const LawPoint* p : by_run[runs[pick(gen)]]) {
          LawPoint q = *p;
          q.run = next_run;
          sample.push_back(q);
        }
        ++next_run;
      }
    }
    Solved s = solve_best(sample, starts, opts);
    if (!std::isfinite(s.cost)) continue;
    fit.bootstrap_ok++;
    es.push_back(s.law.E);
    bs.push_back(s.law.B);
    betas.push_back(s.law.beta);
    rs.push_back(s.law.r_star);
  }
  fit.E_ci = percentile_interval(es, opts.confidence);
  fit.B_ci = percentile_interval(bs, opts.confidence);
  fit.beta_ci = percentile_interval(betas, opts.confidence);
  fit.r_star_ci = percentile_interval(rs, opts.confidence);
  return fit;
}

std::vector<LawHoldout> law_holdout(const std::vector<LawPoint>& points, bool with_n,
                                    const LawFitOptions& opts) {
  std::set<double> budgets;
  for (const auto& p : points) budgets.insert(p.U);
  std::vector<LawHoldout> out;
  if (budgets.size() < 3) return out;
  LawFitOptions o = opts;
  o.bootstrap = 0;
  for (double u : budgets) {
    std::vector<LawPoint> train, test;
    for (const auto& p : points) (p.U == u ? test : train).push_back(p);
    if (train.size() < (with_n ? 7u : 5u)) continue;
    LawFit f = law_fit(train, with_n, o);
    LawHoldout h;
    h.U = u;
    h.points = static_cast<int>(test.size());
    for (const auto& p : test) {
      const double e = law_loss(f.law, p.N, p.U, p.D) - p.L;
      h.mae += std::abs(e) / test.size();
      h.bias += e / test.size();
    }
    out.push_back(h);
  }
  return out;
}

double law_crossover(const DataLaw& ar, const DataLaw& dlm, double N, double U, double d_min,
                     double d_max) {
  CROSSOVER_CHECK(d_min > 0 && d_max > d_min, "law_crossover needs 0 < d_min < d_max");
  auto gap = [&](double d) { return law_loss(dlm, N, U, d) - law_loss(ar, N, U, d); };
  const int n = 800;
  std::vector<double> ds(n + 1);
  for (int i = 0; i <= n; ++i) ds[i] = d_min * std::pow(d_max / d_min, static_cast<double>(i) / n);
  if (gap(ds[n]) >= 0) return -1;
  int last_ge = -1;  // the last grid point where the DLM is not lower
  for (int i = 0; i <= n; ++i)
    if (gap(ds[i]) >= 0) last_ge = i;
  if (last_ge < 0) return 0;
  double lo = ds[last_ge], hi = ds[last_ge + 1];  // gap(lo) >= 0 > gap(hi)
  for (int it = 0; it < 100; ++it) {
    const double mid = std::sqrt(lo * hi);
    (gap(mid) >= 0 ? lo : hi) = mid;
  }
  return hi;
}

}  // namespace crossover
