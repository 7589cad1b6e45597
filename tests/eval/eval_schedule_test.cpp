// EvalSchedule against an independent integer formulation: an epoch mark m (in
// epochs) is evaluated at the first step whose tokens reach m·U, i.e. step
// ceil(m·U / tokens_per_step); the schedule must evaluate exactly at those
// steps (plus the step and epoch-boundary cadences), never twice for one mark.
#include "crossover/eval/eval_schedule.h"

#include <gtest/gtest.h>

#include <set>

#include "crossover/util/check.h"

namespace crossover {
namespace {

std::set<int64_t> due_steps(const EvalSchedule& s, int64_t total) {
  std::set<int64_t> out;
  for (int64_t step = 1; step <= total; ++step)
    if (s.should_evaluate(step)) out.insert(step);
  return out;
}

// Steps at which integer-epoch marks are first reached.
std::set<int64_t> mark_steps(const std::vector<int64_t>& marks, int64_t U, int64_t tps, int64_t total) {
  std::set<int64_t> out;
  for (int64_t m : marks) {
    const int64_t s = (m * U + tps - 1) / tps;
    if (s >= 1 && s <= total) out.insert(s);
  }
  return out;
}

TEST(EvalSchedule, EveryEpochsThenLateCadence) {
  const int64_t tps = 32 * 128, U = 78 * 128, total = 854;  // a 10k budget, 3.5M tokens
  EvalScheduleOptions o;
  o.every_epochs = 2;
  o.late_after_epochs = 100;
  o.late_every_epochs = 10;
  EvalSchedule s(o, tps, U);
  std::vector<int64_t> marks;
  for (int64_t m = 2; m < 100; m += 2) marks.push_back(m);
  for (int64_t m = 100; m <= 400; m += 10) marks.push_back(m);
  const auto want = mark_steps(marks, U, tps, total);
  EXPECT_EQ(due_steps(s, total), want);
  EXPECT_EQ(want.size(), 49u + 26u);  // 2..98 every 2; 100..350 every 10 (epoch 358 at the end)
}

TEST(EvalSchedule, LateStartOffTheEarlyGrid) {
  // A = 7 is not a multiple of E = 2: marks 2, 4, 6, then 7, 12, 17, ...
  const int64_t tps = 100, U = 1000, total = 300;  // 0.1 epoch per step, 30 epochs
  EvalScheduleOptions o;
  o.every_epochs = 2;
  o.late_after_epochs = 7;
  o.late_every_epochs = 5;
  EvalSchedule s(o, tps, U);
  EXPECT_EQ(due_steps(s, total), mark_steps({2, 4, 6, 7, 12, 17, 22, 27}, U, tps, total));
}

TEST(EvalSchedule, FractionalEpochsAndStepCadencesCombine) {
  const int64_t tps = 4096, U = 156 * 128, total = 100;  // 20k budget
  EvalScheduleOptions o;
  o.every_epochs = 0.5;
  EvalSchedule half(o, tps, U);
  std::set<int64_t> want;
  for (int64_t k = 1; k <= 1000; ++k) {  // mark k/2 epochs reached at ceil(k·U / (2·tps))
    const int64_t st = (k * U + 2 * tps - 1) / (2 * tps);
    if (st <= total) want.insert(st);
  }
  EXPECT_EQ(due_steps(half, total), want);

  EvalScheduleOptions b;
  b.every_steps = 30;
  b.each_epoch = true;
  EvalSchedule both(b, tps, U);
  std::set<int64_t> want_b = {30, 60, 90};
  for (int64_t e = 1; e <= 1000; ++e) {
    const int64_t st = (e * U + tps - 1) / tps;
    if (st <= total) want_b.insert(st);
  }
  EXPECT_EQ(due_steps(both, total), want_b);
  EXPECT_TRUE(due_steps(EvalSchedule(EvalScheduleOptions{}, tps, U), total).empty());
}

TEST(EvalSchedule, RejectsInconsistentCadences) {
  EvalScheduleOptions late_only;
  late_only.late_after_epochs = 10;
  late_only.late_every_epochs = 5;
  EXPECT_THROW(EvalSchedule(late_only, 10, 100), Error);  // no early cadence
  EvalScheduleOptions no_gap;
  no_gap.every_epochs = 2;
  no_gap.late_after_epochs = 10;
  EXPECT_THROW(EvalSchedule(no_gap, 10, 100), Error);
  EvalScheduleOptions dangling;
  dangling.every_epochs = 2;
  dangling.late_every_epochs = 5;
  EXPECT_THROW(EvalSchedule(dangling, 10, 100), Error);
  EvalScheduleOptions neg;
  neg.every_epochs = -1;
  EXPECT_THROW(EvalSchedule(neg, 10, 100), Error);
}

}  // namespace
}  // namespace crossover
