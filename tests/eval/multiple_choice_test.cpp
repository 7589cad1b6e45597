// Multiple-choice aggregation against hand-computed values: a fixed table of
// log-likelihoods stands in for the model, so acc, acc_norm (by characters of
// the choice, as lm-eval), their standard errors (lm-eval's mean_stderr) and
// the ΔNLL fields can be worked out on paper. Also the lm-eval JSON layout and
// the metric keys the trainer logs.
#include "crossover/eval/multiple_choice.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "crossover/io/metrics.h"

namespace crossover {
namespace {

TaskItem item(std::vector<std::string> choices, int64_t gold) {
  TaskItem it;
  it.context = "ctx";
  it.choices = std::move(choices);
  it.gold = gold;
  return it;
}

TEST(MultipleChoice, AccAccNormStderrAndDeltaNllByHand) {
  TaskTotals t;
  // Item 1: gold 0. loglik -2 (1 char), -1.5 (5 chars). acc: argmax = 1 (wrong);
  // acc_norm: -2/1 = -2 vs -1.5/5 = -0.3 -> 1 (wrong).
  // nll/token: gold 2/1 = 2; wrong 1.5/3 = 0.5.
  add_item_scores(item({"a", "bbbbb"}, 0), {{-2.0, 1}, {-1.5, 3}}, &t);
  // Item 2: gold 1. -4 (2 chars), -3 (6 chars), -3.5 (1 char). acc: argmax = 1 (right);
  // acc_norm: -2, -0.5, -3.5 -> 1 (right). nll/token: gold 3/3 = 1; wrong (4/2 + 3.5/1)/2 = 2.75.
  add_item_scores(item({"xy", "abcdef", "z"}, 1), {{-4.0, 2}, {-3.0, 3}, {-3.5, 1}}, &t);
  // Item 3: gold 1. -6 (12 chars), -5 (2 chars). acc: 1 (right); acc_norm: -0.5 vs -2.5 -> 0
  // (wrong). nll/token: gold 5/5 = 1; wrong 6/6 = 1.
  add_item_scores(item({"twelve chars", "ok"}, 1), {{-6.0, 6}, {-5.0, 5}}, &t);
  // Item 4: tie -> first index (np.argmax): gold 0 right for both.
  add_item_scores(item({"p", "q"}, 0), {{-1.0, 1}, {-1.0, 1}}, &t);
  TaskResult r = task_result_from_totals("toy", t);
  EXPECT_EQ(r.n, 4);
  EXPECT_DOUBLE_EQ(r.acc, 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(r.acc_norm, 2.0 / 4.0);
  EXPECT_NEAR(r.acc_se, std::sqrt(0.75 * 0.25 / 3.0), 1e-15);
  EXPECT_NEAR(r.acc_norm_se, std::sqrt(0.5 * 0.5 / 3.0), 1e-15);
  EXPECT_DOUBLE_EQ(r.nll_correct, (2.0 + 1.0 + 1.0 + 1.0) / 4.0);
  EXPECT_DOUBLE_EQ(r.nll_wrong, (0.5 + 2.75 + 1.0 + 1.0) / 4.0);
  EXPECT_DOUBLE_EQ(r.delta_nll, (0.5 + 2.75 + 1.0 + 1.0 - 2.0 - 1.0 - 1.0 - 1.0) / 4.0);  // 0.0625
}

TEST(MultipleChoice, StderrMatchesSampleStdOverSqrtN) {
  // lm-eval mean_stderr: sample stdev (n-1) / sqrt(n), for 0/1 values = sqrt(p(1-p)/(n-1)).
  TaskTotals t;
  std::vector<int> outcomes = {1, 0, 0, 1, 1, 1, 0};
  for (int o : outcomes) add_item_scores(item({"a", "b"}, o ? 0 : 1), {{-1, 1}, {-2, 1}}, &t);
  double n = 7, mean = 4.0 / 7.0, ss = 0;
  for (int o : outcomes) ss += (o - mean) * (o - mean);
  TaskResult r = task_result_from_totals("x", t);
  EXPECT_NEAR(r.acc_se, std::sqrt(ss / (n - 1)) / std::sqrt(n), 1e-15);
}

TEST(MultipleChoice, MarginAndMonteCarloAmbiguityByHand) {
  TaskTotals t;
  // A: gold 0 (mean -1.0) vs rival 2 (mean -1.1; choice 1 at -3 is not the rival): margin 0.1.
  // Paired diffs 0.1, -0.1, 0.3, 0.1: sd² = 0.08/3, se = sqrt(0.08/3/4) = 0.0816 -> 0.1 < 2se:
  // ambiguous.
  add_item_scores(item({"a", "b", "c"}, 0),
                  {{-1.0, 2, {-1.0, -1.2, -0.8, -1.0}},
                   {-3.0, 2, {-3.0, -3.0, -3.0, -3.0}},
                   {-1.1, 2, {-1.1, -1.1, -1.1, -1.1}}},
                  &t);
  // B: gold 1, margin -1.0 - (-2.0) = 1.0, paired diffs 1, 1.1, 0.9, 1 (se 0.041): decided.
  add_item_scores(item({"a", "b"}, 1),
                  {{-2.0, 2, {-2.0, -2.1, -1.9, -2.0}}, {-1.0, 2, {-1.0, -1.0, -1.0, -1.0}}}, &t);
  // C: exact scores (AR): margin -0.5, never ambiguous.
  add_item_scores(item({"a", "b"}, 0), {{-1.5, 1}, {-1.0, 1}}, &t);
  // D: gold and rival share their noise (common random numbers): every paired diff is 0.1,
  // se 0 -> decided, although each choice alone spreads by ±0.5.
  add_item_scores(item({"a", "b"}, 0),
                  {{-1.5, 2, {-1.0, -2.0, -1.0, -2.0}}, {-1.6, 2, {-1.1, -2.1, -1.1, -2.1}}}, &t);
  TaskResult r = task_result_from_totals("toy", t);
  EXPECT_NEAR(r.margin, (0.1 + 1.0 - 0.5 + 0.1) / 4.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.mc_ambiguous, 1.0 / 4.0);
}

TEST(MultipleChoice, Utf8LengthCountsCharacters) {
  EXPECT_EQ(utf8_length("abc"), 3);
  EXPECT_EQ(utf8_length("naïve"), 5);
  EXPECT_EQ(utf8_length("日本"), 2);
  EXPECT_EQ(utf8_length(""), 0);
}

TEST(MultipleChoice, LmEvalJsonLayoutAndMetricKeys) {
  TaskResult r;
  r.name = "hellaswag";
  r.n = 10;
  r.acc = 0.4;
  r.acc_se = 0.16;
  r.acc_norm = 0.5;
  r.delta_nll = 0.25;
  auto j = lm_eval_results_json({r}, {{"step", 7}});
  EXPECT_DOUBLE_EQ(j["results"]["hellaswag"]["acc,none"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(j["results"]["hellaswag"]["acc_stderr,none"].get<double>(), 0.16);
  EXPECT_DOUBLE_EQ(j["results"]["hellaswag"]["acc_norm,none"].get<double>(), 0.5);
  EXPECT_TRUE(j["results"]["hellaswag"].contains("acc_norm_stderr,none"));
  EXPECT_DOUBLE_EQ(j["results"]["hellaswag"]["delta_nll,none"].get<double>(), 0.25);
  EXPECT_EQ(j["n-samples"]["hellaswag"]["effective"].get<int64_t>(), 10);
  EXPECT_EQ(j["config"]["step"].get<int64_t>(), 7);
  // Every key the trainer logs is a metrics.csv column.
  nlohmann::ordered_json row;
  add_task_metrics(&row, r);
  auto cols = metrics_csv_columns({"hellaswag"});
  for (const auto& [k, v] : row.items())
    EXPECT_NE(std::find(cols.begin(), cols.end(), k), cols.end()) << k;
  EXPECT_EQ(row.size(), 8u);
  EXPECT_TRUE(j["results"]["hellaswag"].contains("margin,none"));
  EXPECT_TRUE(j["results"]["hellaswag"].contains("mc_ambiguous,none"));
}

}  // namespace
}  // namespace crossover
