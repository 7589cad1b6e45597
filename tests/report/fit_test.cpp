// crossover fit: crossover brackets and intervals on hand-made curves, the
// data-efficiency factor by hand, and the whole pipeline on synthetic sweeps
// generated from known laws.
#include "crossover/report/fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "crossover/config/loader.h"
#include "crossover/report/run_dir.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

RunData synth_run(const std::string& kind, int64_t unique, int64_t seed, Curve val) {
  RunData d;
  d.config = load_config_from_string(str_cat("objective:\n  kind: ", kind, "\ndata:\n  unique_tokens: ",
                                             unique, "\nrun:\n  seed: ", seed, "\ntrain:\n  lr_warmup_steps: 1\n"),
                                     "synthetic");
  d.config.run.name = str_cat(kind, "-", unique, "-", seed);
  for (const auto& kv : config_settings(d.config)) d.settings[kv.first] = kv.second;
  d.curves["val_loss"] = std::move(val);
  d.dir = "synthetic/" + d.config.run.name;
  d.status = RunStatus::kFinished;
  return d;
}

TEST(Fit, BracketIsTheEvaluationsAroundTheCrossing) {
  // AR overfits, the DLM keeps falling: they cross between evaluations 2 and 3.
  Curve ar{{1, 2, 3, 4}, {3.0, 2.0, 2.5, 3.0}}, dlm{{1, 2, 3, 4}, {3.5, 2.8, 2.4, 2.2}};
  Crossover c = find_crossover(ar, dlm, true);
  ASSERT_EQ(c.status, CrossoverStatus::kCrossover);
  EXPECT_NEAR(c.tokens, 2 + 0.8 / 0.9, 1e-12);
  auto br = crossover_bracket(ar, dlm, c);
  EXPECT_EQ(br.first, 2);
  EXPECT_EQ(br.second, 3);
  // Better from the start: anywhere in [0, first evaluation].
  Crossover s = find_crossover(ar, Curve{{1, 2, 3, 4}, {2.9, 1.9, 2.0, 2.0}}, true);
  ASSERT_EQ(s.status, CrossoverStatus::kFromStart);
  EXPECT_EQ(crossover_bracket(ar, dlm, s), std::make_pair(0.0, 1.0));
}

TEST(Fit, BudgetMatchingByHand) {
  const std::vector<double> u = {1e4, 2e4, 4e4}, l = {3.0, 2.8, 2.6};
  int bound = 9;
  // 2.7 is halfway from 2.8 to 2.6 in loss: halfway from 20k to 40k in log U.
  EXPECT_NEAR(budget_matching_loss(u, l, 2.7, &bound), 2e4 * std::sqrt(2.0), 1e-6);
  EXPECT_EQ(bound, 0);
  EXPECT_EQ(budget_matching_loss(u, l, 2.5, &bound), 4e4);
  EXPECT_EQ(bound, 1);  // never reached: at least the largest budget
  EXPECT_EQ(budget_matching_loss(u, l, 3.1, &bound), 1e4);
  EXPECT_EQ(bound, -1);
  // A non-monotone curve: the smallest budget that reaches the loss.
  EXPECT_NEAR(budget_matching_loss({1, 2, 4}, {3.0, 2.0, 2.5}, 2.5, &bound), std::sqrt(2.0), 1e-12);
}

TEST(Fit, EfficiencyFactorAndItsIntervalByHand) {
  // AR: best 3.0 / 2.8 / 2.6 at 10k / 20k / 40k (two seeds each, ±0.01); DLM at 10k: best 2.7.
  std::vector<RunData> runs;
  const std::vector<int64_t> budgets = {10000, 20000, 40000};
  const std::vector<double> best = {3.0, 2.8, 2.6};
  for (size_t i = 0; i < budgets.size(); ++i)
    for (int s = 0; s < 2; ++s) {
      const double b = best[i] + (s ? 0.01 : -0.01);
      runs.push_back(synth_run("ar", budgets[i], s, Curve{{1000, 2000}, {b + 1, b}}));
    }
  for (int s = 0; s < 2; ++s) {
    const double b = 2.7 + (s ? 0.01 : -0.01);
    runs.push_back(synth_run("mdm", 10000, s, Curve{{1000, 2000}, {b + 1, b}}));
  }
  FitOptions o;
  o.bootstrap = 400;
  o.law.bootstrap = 0;
  FitReport f = fit_runs(build_report(runs, {"val_loss"}), o);
  const EfficiencyFit* e = nullptr;
  for (const auto& x : f.efficiency)
    if (x.direction == "dlm_to_ar" && x.budget == 10000) e = &x;
  ASSERT_NE(e, nullptr) << fit_table(f);
  EXPECT_NEAR(e->factor, std::sqrt(2.0) * 2, 1e-9);  // U_a = 28.3k for U_d = 10k
  EXPECT_EQ(e->bound, 0);
  // Seeds ±0.01 move the DLM's loss by ≤ 0.01 → U_a by ≤ 2^(0.01/0.2): a tight interval around 2.83.
  EXPECT_LE(e->ci.lo, e->factor);
  EXPECT_GE(e->ci.hi, e->factor);
  EXPECT_GT(e->ci.lo, 2.0 * std::sqrt(2.0) * std::pow(2.0, -0.1));
  EXPECT_LT(e->ci.hi, 2.0 * std::sqrt(2.0) * std::pow(2.0, 0.1));
  // The reverse direction: AR at 20k (2.8) is matched by no DLM budget below 10k → ≥ 2.
  for (const auto& x : f.efficiency)
    if (x.direction == "ar_to_dlm" && x.budget == 20000) {
      EXPECT_EQ(x.bound, 1) << fit_table(f);
      EXPECT_NEAR(x.factor, 2.0, 1e-12);
    }
}

// A sweep generated from two known laws: AR (fast, saturating) and the DLM
// (slow, barely saturating), three seeds per budget, each seed the law times its
// own small log-normal factor (per run, so the running best is the law's shape).
std::vector<RunData> law_sweep(uint64_t seed) {
  const DataLaw ar = {1.5, 40, 0.4, 3}, dlm = {1.5, 80, 0.4, 300};
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> noise(0, 0.005);
  std::vector<RunData> runs;
  for (int64_t u : {10000, 20000, 40000, 80000})
    for (int s = 0; s < 3; ++s)
      for (int k = 0; k < 2; ++k) {
        const DataLaw& law = k ? dlm : ar;
        const double factor = std::exp(noise(gen));
        Curve c;
        for (double ep = 1; ep <= 200; ep *= 1.25) {
          c.x.push_back(ep * u);
          c.y.push_back(law_loss(law, 0, u, ep * u) * factor);
        }
        runs.push_back(synth_run(k ? "mdm" : "ar", u, s, c));
      }
  return runs;
}

TEST(Fit, SyntheticSweepRecoversLawsAndPredictsMeasuredCrossovers) {
  FitOptions o;
  o.bootstrap = 200;
  o.law.bootstrap = 40;
  FitReport f = fit_runs(build_report(law_sweep(11), {"val_loss"}), o);
  ASSERT_EQ(f.laws.size(), 2u) << fit_table(f);
  for (const auto& l : f.laws) {
    const double truth = l.dlm ? 300 : 3;
    EXPECT_NEAR(l.fit.law.r_star, truth, 0.25 * truth) << l.variant;
    EXPECT_LE(l.fit.r_star_ci.lo, truth) << l.variant;
    EXPECT_GE(l.fit.r_star_ci.hi, truth) << l.variant;
    EXPECT_EQ(l.holdout.size(), 4u);
  }
  int checked = 0;
  for (const auto& c : f.crossovers) {
    if (c.kind != "best" || c.point.status != CrossoverStatus::kCrossover) continue;
    ++checked;
    // The law's prediction lies inside the measured interval, which holds the point.
    EXPECT_GE(c.predicted, 0) << c.group;
    EXPECT_LE(c.ci.lo, c.point.tokens) << c.group;
    EXPECT_GE(c.ci.hi, c.point.tokens) << c.group;
    EXPECT_LE(c.grid_lo, c.point.tokens);
    EXPECT_GE(c.grid_hi, c.point.tokens);
    EXPECT_NEAR(std::log(c.predicted), std::log(c.point.tokens), std::log(1.5)) << c.group;
  }
  EXPECT_EQ(checked, 4) << fit_table(f);
  // The DLM is more data-efficient here: each DLM budget matches a larger AR one.
  for (const auto& e : f.efficiency) {
    if (e.direction == "dlm_to_ar" && e.budget == 10000) {
      EXPECT_GT(e.factor, 1.0);
    }
  }
  for (const char* frag : {"\"laws\"", "\"r_star\"", "\"efficiency\"", "\"predicted\"", "\"curves\""})
    EXPECT_NE(fit_json(f).find(frag), std::string::npos) << frag;
}

TEST(Fit, LawPointsStartAfterTheWarmup) {
  auto runs = law_sweep(2);
  for (auto& r : runs) r.config.train.lr_warmup_steps = 10;  // 10 x 16 x 256 = 40,960 tokens
  FitOptions o;
  o.bootstrap = 0;
  o.law.bootstrap = 0;
  FitReport f = fit_runs(build_report(runs, {"val_loss"}), o);
  ASSERT_EQ(f.laws.size(), 2u);
  size_t expected = 0;
  for (const auto& r : runs)
    if (r.config.objective.kind == ObjectiveKind::kAr)
      for (double x : r.curves.at("val_loss").x) expected += x >= 40960;
  EXPECT_EQ(f.laws[0].points.size(), expected);
  for (const auto& p : f.laws[0].points) EXPECT_GE(p.D, 40960);
}

TEST(Fit, RefusesAMetricNoRunLogged) {
  FitOptions o;
  o.metric = "val_bpb";
  EXPECT_THROW(fit_runs(build_report(law_sweep(1), {"val_bpb"}), o), Error);
  o.metric = "task/x/acc";
  EXPECT_THROW(fit_runs(build_report(law_sweep(1), {"val_loss"}), o), Error);
}

}  // namespace
}  // namespace crossover
