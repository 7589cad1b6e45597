// adaptive_mc.cpp — see adaptive_mc.h.
#include "crossover/eval/adaptive_mc.h"

#include <algorithm>
#include <cmath>

#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {


uint64_t mc_round_seed(uint64_t seed, int64_t round) {
  return round == 0 ? seed : derive_seed(seed, "task_mc_round", round);
}

int64_t mc_round_samples(const AdaptiveMcOptions& o, int64_t cap, int64_t round) {
  if (o.mode == McMode::kFixed) return round == 0 ? cap : 0;
  const int64_t first = std::min(o.min_samples, cap);
  if (round == 0) return first;
  const int64_t before = first + (round - 1) * o.round;  // drawn before this round
  return std::clamp<int64_t>(cap - before, 0, o.round);
}

double paired_diff_stderr(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = std::max(a.size(), b.size());
  if (n < 2) return 0.0;
  auto at = [](const std::vector<double>& v, size_t i) { return v.size() == 1 ? v[0] : v[i]; };
  CROSSOVER_CHECK((a.size() == 1 || a.size() == n) && (b.size() == 1 || b.size() == n),
                  "choices of one item have ", a.size(), " and ", b.size(),
                  " Monte Carlo samples; hint: score them with the same mc_samples");
  double mean = 0;
  for (size_t i = 0; i < n; ++i) mean += at(a, i) - at(b, i);
  mean /= static_cast<double>(n);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += std::pow(at(a, i) - at(b, i) - mean, 2);
  return std::sqrt(ss / static_cast<double>(n - 1) / static_cast<double>(n));
}

bool mc_decision_resolved(const std::vector<std::vector<double>>& samples,
                          const std::vector<double>& scale, double z) {
  CROSSOVER_CHECK(samples.size() == scale.size() && !samples.empty(), "an item has ",
                  samples.size(), " choices' samples but ", scale.size(), " scales");
  std::vector<std::vector<double>> s = samples;
  std::vector<double> mean(s.size(), 0.0);
  for (size_t c = 0; c < s.size(); ++c) {
    CROSSOVER_CHECK(!s[c].empty(), "choice ", c, " has no Monte Carlo sample");
    for (double& v : s[c]) v /= scale[c];
    for (double v : s[c]) mean[c] += v;
    mean[c] /= static_cast<double>(s[c].size());
  }
  const size_t lead = static_cast<size_t>(std::max_element(mean.begin(), mean.end()) - mean.begin());
  for (size_t c = 0; c < s.size(); ++c) {
    if (c == lead) continue;
    const double se = paired_diff_stderr(s[lead], s[c]);
    if (se == 0.0) continue;  // exact (or identical draws: more samples cannot help)
    if (!(mean[lead] - mean[c] > z * se)) return false;
  }
  return true;
}

int64_t mc_item_samples(const McItemState& item) {
  size_t n = 0;
  for (const auto& s : item.samples) n = std::max(n, s.size());
  return static_cast<int64_t>(n);
}

void run_adaptive_mc(std::vector<McItemState>* items, const AdaptiveMcOptions& o, int64_t cap,
                     const McRoundSampler& sampler) {
  CROSSOVER_CHECK(cap >= 1 && o.min_samples >= 1 && o.round >= 1 && o.z > 0,
                  "adaptive Monte Carlo needs task_mc_samples, task_mc_min, task_mc_round >= 1 "
                  "and task_mc_z > 0 (got ", cap, ", ", o.min_samples, ", ", o.round, ", ", o.z,
                  ")");
  std::vector<size_t> open(items->size());
  for (size_t i = 0; i < open.size(); ++i) open[i] = i;
  for (int64_t round = 0; !open.empty() && mc_round_samples(o, cap, round) > 0; ++round) {
    auto drawn = sampler(round, open);
    CROSSOVER_CHECK(drawn.size() == open.size(), "round ", round, " returned ", drawn.size(),
                    " items for ", open.size(), " open");
    std::vector<size_t> still;
    for (size_t k = 0; k < open.size(); ++k) {
      McItemState& it = (*items)[open[k]];
      if (it.samples.empty()) it.samples.resize(drawn[k].size());
      CROSSOVER_CHECK(drawn[k].size() == it.samples.size(), "round ", round, " gave ",
                      drawn[k].size(), " choices for an item of ", it.samples.size());
      for (size_t c = 0; c < drawn[k].size(); ++c)
        it.samples[c].insert(it.samples[c].end(), drawn[k][c].begin(), drawn[k][c].end());
      it.rounds = round + 1;
      const std::vector<double> unit(it.samples.size(), 1.0);
      it.resolved = mc_decision_resolved(it.samples, unit, o.z) &&
                    mc_decision_resolved(it.samples, it.norm.empty() ? unit : it.norm, o.z);
      if (!it.resolved && o.mode == McMode::kAdaptive) still.push_back(open[k]);
    }
    open.swap(still);
  }
}

}  // namespace crossover
