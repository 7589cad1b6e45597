// Curves, interpolation onto a shared grid, and crossover detection.
#include "crossover/report/curve.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "crossover/util/check.h"

namespace crossover {
namespace {

// Union of the curves' points inside [max of starts, min of ends], plus both ends.
std::vector<double> common_grid(const std::vector<Curve>& curves) {
  double lo = -1e300, hi = 1e300;
  for (const auto& c : curves) {
    if (c.empty()) return {};
    lo = std::max(lo, c.x.front());
    hi = std::min(hi, c.x.back());
  }
  if (lo > hi) return {};
  std::vector<double> grid = {lo, hi};
  for (const auto& c : curves)
    for (double x : c.x)
      if (x >= lo && x <= hi) grid.push_back(x);
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  return grid;
}

}  // namespace

Curve curve_sorted(Curve c) {
  CROSSOVER_CHECK(c.x.size() == c.y.size(), "curve has ", c.x.size(), " x but ", c.y.size(), " y");
  std::vector<size_t> order(c.x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return c.x[a] < c.x[b]; });
  Curve out;
  for (size_t i : order) {
    if (!out.x.empty() && out.x.back() == c.x[i]) {
      out.y.back() = c.y[i];  // later row wins
      continue;
    }
    out.x.push_back(c.x[i]);
    out.y.push_back(c.y[i]);
  }
  return out;
}

double curve_at(const Curve& c, double x) {
  CROSSOVER_CHECK(!c.empty(), "interpolating an empty curve");
  if (x <= c.x.front()) return c.y.front();
  if (x >= c.x.back()) return c.y.back();
  size_t i = std::upper_bound(c.x.begin(), c.x.end(), x) - c.x.begin();  // c.x[i-1] <= x < c.x[i]
  double f = (x - c.x[i - 1]) / (c.x[i] - c.x[i - 1]);
  return c.y[i - 1] + f * (c.y[i] - c.y[i - 1]);
}

Curve curve_best_so_far(const Curve& c, bool lower_is_better) {
  Curve out = c;
  for (size_t i = 1; i < out.y.size(); ++i)
    out.y[i] = lower_is_better ? std::min(out.y[i], out.y[i - 1]) : std::max(out.y[i], out.y[i - 1]);
  return out;
}

Curve curve_mean(const std::vector<Curve>& curves) {
  Curve out;
  if (curves.empty()) return out;
  out.x = common_grid(curves);
  for (double x : out.x) {
    double sum = 0;
    for (const auto& c : curves) sum += curve_at(c, x);
    out.y.push_back(sum / curves.size());
  }
  return out;
}

Curve curve_std(const std::vector<Curve>& curves) {
  Curve mean = curve_mean(curves);
  Curve out;
  out.x = mean.x;
  for (size_t i = 0; i < mean.x.size(); ++i) {
    double ss = 0;
    for (const auto& c : curves) ss += std::pow(curve_at(c, mean.x[i]) - mean.y[i], 2);
    out.y.push_back(curves.size() > 1 ? std::sqrt(ss / (curves.size() - 1)) : 0.0);
  }
  return out;
}

bool metric_lower_is_better(const std::string& key) {
  auto has = [&](const char* s) { return key.find(s) != std::string::npos; };
  if (has("delta_nll") || has("margin")) return false;  // gaps in favour of the right answer
  if (has("mc_ambiguous")) return true;                   // fewer undecided items
  if (has("loss") || has("nll") || has("bpb") || has("ppl")) return true;
  return !has("acc");
}

const char* crossover_status_name(CrossoverStatus s) {
  switch (s) {
    case CrossoverStatus::kCrossover: return "crossover";
    case CrossoverStatus::kFromStart: return "from_start";
    case CrossoverStatus::kNone: return "none";
    case CrossoverStatus::kNoOverlap: return "no_overlap";
  }
  return "?";
}

Crossover find_crossover(const Curve& ar, const Curve& dlm, bool lower_is_better) {
  Crossover r;
  std::vector<double> grid = common_grid({ar, dlm});
  if (grid.empty()) return r;
  r.range_begin = grid.front();
  r.range_end = grid.back();
  // g > 0 where the DLM is strictly better; linear between grid points.
  std::vector<double> g;
  for (double x : grid) {
    double a = curve_at(ar, x), d = curve_at(dlm, x);
    g.push_back(lower_is_better ? a - d : d - a);
  }
  // Zero of the segment from a non-positive g0 to a positive g1.
  auto zero_between = [&](size_t i) {
    return grid[i] + (grid[i + 1] - grid[i]) * (-g[i]) / (g[i + 1] - g[i]);
  };
  for (size_t i = 0; i < g.size(); ++i) {
    if (r.first_better < 0 && g[i] > 0) r.first_better = i == 0 ? grid[0] : zero_between(i - 1);
    if (i > 0 && ((g[i] > 0) != (g[i - 1] > 0))) r.sign_changes++;
  }
  // Last point where the DLM is not better.
  long last_bad = -1;
  for (size_t i = 0; i < g.size(); ++i)
    if (g[i] <= 0) last_bad = static_cast<long>(i);
  if (last_bad < 0) {
    r.status = CrossoverStatus::kFromStart;
    r.tokens = grid.front();
  } else if (last_bad == static_cast<long>(g.size()) - 1) {
    r.status = CrossoverStatus::kNone;
  } else {
    r.status = CrossoverStatus::kCrossover;
    r.tokens = zero_between(static_cast<size_t>(last_bad));
  }
  return r;
}

}  // namespace crossover
