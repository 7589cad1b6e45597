// Schedules against hand-computed values.
#include "crossover/train/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace crossover {
namespace {

TrainConfig make(const std::string& kind) {
  TrainConfig c;
  c.lr = 1.0;
  c.lr_min_ratio = 0.1;
  c.lr_warmup_steps = 4;
  c.lr_schedule = parse_choice<LrSchedule>(kind);
  c.lr_decay_frac = 0.2;
  return c;
}

TEST(LrSchedule, WarmupIsLinearFromOneStep) {
  auto c = make("constant");
  EXPECT_DOUBLE_EQ(lr_at(c, 0, 100), 0.25);
  EXPECT_DOUBLE_EQ(lr_at(c, 1, 100), 0.5);
  EXPECT_DOUBLE_EQ(lr_at(c, 3, 100), 1.0);
  EXPECT_DOUBLE_EQ(lr_at(c, 50, 100), 1.0);
}

TEST(LrSchedule, CosineHandValues) {
  auto c = make("cosine");
  // total 14 steps: after warmup (4) the cosine spans steps 4..13 (span 9).
  EXPECT_DOUBLE_EQ(lr_at(c, 4, 14), 1.0);
  EXPECT_NEAR(lr_at(c, 13, 14), 0.1, 1e-12);
  // midpoint p = 0.5 at step 8.5 -> check step 7: p = 3/9, 0.1 + 0.9 * 0.5 * (1 + cos(pi/3)) = 0.775
  EXPECT_NEAR(lr_at(c, 7, 14), 0.775, 1e-12);
}

TEST(LrSchedule, WsdStableThenExponentialDecay) {
  auto c = make("wsd");
  // total 20: decay_steps = ceil(0.2*20) = 4, decay starts at step 16.
  EXPECT_DOUBLE_EQ(lr_at(c, 15, 20), 1.0);
  EXPECT_NEAR(lr_at(c, 16, 20), std::pow(0.1, 0.25), 1e-12);
  EXPECT_NEAR(lr_at(c, 17, 20), std::pow(0.1, 0.5), 1e-12);
  EXPECT_NEAR(lr_at(c, 19, 20), 0.1, 1e-12);
}

TEST(LrSchedule, WarmupLongerThanRunStillReachesPeakAtEnd) {
  auto c = make("constant");
  c.lr_warmup_steps = 100;
  EXPECT_DOUBLE_EQ(lr_at(c, 9, 10), 1.0);
  EXPECT_DOUBLE_EQ(lr_at(c, 0, 10), 1.0 / 9.0);
}

}  // namespace
}  // namespace crossover
