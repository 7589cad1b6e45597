// Crossover detection on synthetic curves whose answers are worked out by hand
// in the comments: crossing, never, crossing back, better from the start,
// different token grids, accuracy direction, running best.
#include "crossover/report/curve.h"

#include <gtest/gtest.h>

namespace crossover {
namespace {

Curve make(std::vector<double> x, std::vector<double> y) { return Curve{std::move(x), std::move(y)}; }

TEST(Crossover, CrossingInterpolatedBetweenPoints) {
  // g = ar - dlm = [-1, -0.8, 0.3, 1]: zero at 100 + 100 * 0.8 / 1.1.
  Crossover c = find_crossover(make({0, 100, 200, 300}, {4, 3, 3.5, 4}),
                               make({0, 100, 200, 300}, {5, 3.8, 3.2, 3}), true);
  EXPECT_EQ(c.status, CrossoverStatus::kCrossover);
  EXPECT_NEAR(c.tokens, 100 + 100 * 0.8 / 1.1, 1e-9);
  EXPECT_NEAR(c.first_better, c.tokens, 1e-9);
  EXPECT_EQ(c.sign_changes, 1);
  EXPECT_DOUBLE_EQ(c.range_end, 300);
}

TEST(Crossover, NeverCrossing) {
  Crossover c = find_crossover(make({0, 100, 200}, {3, 2, 1}), make({0, 100, 200}, {4, 3, 2}), true);
  EXPECT_EQ(c.status, CrossoverStatus::kNone);
  EXPECT_EQ(c.first_better, -1);
  EXPECT_EQ(c.sign_changes, 0);
  EXPECT_STREQ(crossover_status_name(c.status), "none");
}

TEST(Crossover, CrossingBackIsNoCrossover) {
  // g = [-1, 0.5, 0.5, -0.2]: the DLM leads in the middle only.
  Crossover c = find_crossover(make({0, 100, 200, 300}, {2, 2, 2, 2}),
                               make({0, 100, 200, 300}, {3, 1.5, 1.5, 2.2}), true);
  EXPECT_EQ(c.status, CrossoverStatus::kNone);
  EXPECT_NEAR(c.first_better, 100.0 / 1.5, 1e-9);  // zero of -1 -> 0.5 over [0, 100]
  EXPECT_EQ(c.sign_changes, 2);
  // g = [-1, 1, -1, 1]: the last crossing (250) counts, not the first (50).
  Crossover d = find_crossover(make({0, 100, 200, 300}, {2, 2, 2, 2}),
                               make({0, 100, 200, 300}, {3, 1, 3, 1}), true);
  EXPECT_EQ(d.status, CrossoverStatus::kCrossover);
  EXPECT_NEAR(d.tokens, 250, 1e-9);
  EXPECT_NEAR(d.first_better, 50, 1e-9);
  EXPECT_EQ(d.sign_changes, 3);
}

TEST(Crossover, BetterFromTheStart) {
  Crossover c = find_crossover(make({10, 20, 30}, {3, 3, 3}), make({10, 20, 30}, {2.9, 2, 1}), true);
  EXPECT_EQ(c.status, CrossoverStatus::kFromStart);
  EXPECT_DOUBLE_EQ(c.tokens, 10);
  EXPECT_DOUBLE_EQ(c.first_better, 10);
}

TEST(Crossover, TieIsNotBetter) {
  // Equal at the end: the DLM is not strictly better, so no crossover.
  Crossover c = find_crossover(make({0, 1}, {3, 2}), make({0, 1}, {4, 2}), true);
  EXPECT_EQ(c.status, CrossoverStatus::kNone);
}

TEST(Crossover, DifferentTokenGridsUseTheUnion) {
  // AR kinks at 100 and 200; DLM has only its end points: 2.5 - x/300.
  // Between 100 and 200: 1 + (x-100)/50 = 2.5 - x/300  =>  x = 150 exactly.
  Crossover c = find_crossover(make({0, 100, 200, 300}, {1, 1, 3, 3}), make({0, 300}, {2.5, 1.5}), true);
  EXPECT_EQ(c.status, CrossoverStatus::kCrossover);
  EXPECT_NEAR(c.tokens, 150, 1e-9);
  // Offset grids: common range is [50, 200]; DLM (4 - x/100) meets AR (3) at 100.
  Crossover d = find_crossover(make({0, 100, 200}, {3, 3, 3}), make({50, 150, 250}, {3.5, 2.5, 1.5}), true);
  EXPECT_EQ(d.status, CrossoverStatus::kCrossover);
  EXPECT_NEAR(d.tokens, 100, 1e-9);
  EXPECT_DOUBLE_EQ(d.range_begin, 50);
  EXPECT_DOUBLE_EQ(d.range_end, 200);
  // No overlap at all.
  EXPECT_EQ(find_crossover(make({0, 1}, {1, 1}), make({2, 3}, {1, 1}), true).status,
            CrossoverStatus::kNoOverlap);
  EXPECT_EQ(find_crossover(Curve{}, make({2, 3}, {1, 1}), true).status, CrossoverStatus::kNoOverlap);
}

TEST(Crossover, AccuracyHigherIsBetter) {
  // g = dlm - ar = [-0.05, -0.01, 0.04]: zero at 100 + 100 * 0.01 / 0.05 = 120.
  Crossover c = find_crossover(make({0, 100, 200}, {0.30, 0.35, 0.36}),
                               make({0, 100, 200}, {0.25, 0.34, 0.40}), false);
  EXPECT_EQ(c.status, CrossoverStatus::kCrossover);
  EXPECT_NEAR(c.tokens, 120, 1e-9);
  EXPECT_TRUE(metric_lower_is_better("val_loss"));
  EXPECT_TRUE(metric_lower_is_better("val_bpb"));
  EXPECT_TRUE(metric_lower_is_better("task/hellaswag/nll_correct"));
  EXPECT_FALSE(metric_lower_is_better("task/hellaswag/acc"));
  EXPECT_FALSE(metric_lower_is_better("task/hellaswag/acc_norm"));
  EXPECT_FALSE(metric_lower_is_better("task/hellaswag/delta_nll"));
  EXPECT_FALSE(metric_lower_is_better("task/hellaswag/margin"));
  EXPECT_TRUE(metric_lower_is_better("task/hellaswag/mc_ambiguous"));
}

TEST(Crossover, BestSoFarSeesOnlyTheMinimum) {
  // docs/paper.md §2's probe in miniature: AR overfits after its minimum, so the current
  // values cross but the running bests do not.
  Curve ar = make({1, 2, 3, 4}, {3.0, 2.0, 2.5, 3.0});
  Curve dlm = make({1, 2, 3, 4}, {3.5, 2.6, 2.4, 2.2});
  EXPECT_EQ(curve_best_so_far(ar, true).y, (std::vector<double>{3, 2, 2, 2}));
  EXPECT_EQ(curve_best_so_far(make({1, 2, 3}, {0.3, 0.2, 0.4}), false).y,
            (std::vector<double>{0.3, 0.3, 0.4}));
  Crossover cur = find_crossover(ar, dlm, true);
  EXPECT_EQ(cur.status, CrossoverStatus::kCrossover);
  EXPECT_NEAR(cur.tokens, 2 + 0.6 / 0.7, 1e-9);  // g: -0.6 at 2, +0.1 at 3
  Crossover best = find_crossover(curve_best_so_far(ar, true), curve_best_so_far(dlm, true), true);
  EXPECT_EQ(best.status, CrossoverStatus::kNone);
}

TEST(Curve, SortedKeepsLastDuplicateAndMeanUsesCommonRange) {
  Curve c = curve_sorted(make({200, 100, 200}, {5, 4, 6}));
  EXPECT_EQ(c.x, (std::vector<double>{100, 200}));
  EXPECT_EQ(c.y, (std::vector<double>{4, 6}));
  EXPECT_DOUBLE_EQ(curve_at(c, 150), 5);
  EXPECT_DOUBLE_EQ(curve_at(c, 0), 4);    // clamps
  EXPECT_DOUBLE_EQ(curve_at(c, 500), 6);
  Curve m = curve_mean({make({0, 100, 200}, {1, 2, 3}), make({50, 250}, {3, 3})});
  EXPECT_EQ(m.x, (std::vector<double>{50, 100, 200}));
  EXPECT_DOUBLE_EQ(m.y[0], (1.5 + 3) / 2);
  EXPECT_DOUBLE_EQ(m.y[2], 3);
  Curve s = curve_std({make({0, 1}, {1, 1}), make({0, 1}, {3, 1})});
  EXPECT_NEAR(s.y[0], std::sqrt(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(s.y[1], 0);
}

}  // namespace
}  // namespace crossover
