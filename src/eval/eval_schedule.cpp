// eval_schedule.cpp — see eval_schedule.h.
#include "crossover/eval/eval_schedule.h"

#include <cmath>

#include "crossover/util/check.h"

namespace crossover {

EvalSchedule::EvalSchedule(EvalScheduleOptions o, int64_t tokens_per_step, int64_t unique_tokens)
    : o_(o), tokens_per_step_(tokens_per_step), unique_tokens_(unique_tokens) {
  CROSSOVER_CHECK(tokens_per_step > 0 && unique_tokens > 0, "eval schedule: tokens per step (",
                  tokens_per_step, ") and unique tokens (", unique_tokens, ") must be positive");
  CROSSOVER_CHECK(o.every_steps >= 0 && o.every_epochs >= 0 && o.late_after_epochs >= 0 &&
                      o.late_every_epochs >= 0,
                  "train.eval_every / eval_every_epochs / eval_late_* must not be negative");
  CROSSOVER_CHECK(o.late_after_epochs == 0 || (o.every_epochs > 0 && o.late_every_epochs > 0),
                  "train.eval_late_after_epochs=", o.late_after_epochs, " needs train.eval_every_epochs ",
                  "> 0 and train.eval_late_every_epochs > 0 (got ", o.every_epochs, " and ",
                  o.late_every_epochs, ")");
  CROSSOVER_CHECK(o.late_every_epochs == 0 || o.late_after_epochs > 0,
                  "train.eval_late_every_epochs=", o.late_every_epochs, " has no effect without ",
                  "train.eval_late_after_epochs > 0");
}

double EvalSchedule::epoch_at(int64_t step) const {
  return static_cast<double>(step * tokens_per_step_) / static_cast<double>(unique_tokens_);
}

bool EvalSchedule::epoch_end(int64_t step) const {
  return std::floor(epoch_at(step)) > std::floor(epoch_at(step - 1));
}

int64_t EvalSchedule::epoch_mark(double e) const {
  if (o_.every_epochs <= 0) return -1;
  // A hair of slack so that e = k·E computed as s·tps/U in floating point
  // (k·E·(1 − 1e−16)) still counts as reaching mark k.
  constexpr double kSlack = 1e-9;
  const double A = o_.late_after_epochs;
  if (A <= 0 || e + kSlack < A) return static_cast<int64_t>(std::floor(e / o_.every_epochs + kSlack));
  return static_cast<int64_t>(std::floor(A / o_.every_epochs + kSlack)) + 1 +
         static_cast<int64_t>(std::floor((e - A) / o_.late_every_epochs + kSlack));
}

bool EvalSchedule::should_evaluate(int64_t step) const {
  if (step < 1) return false;
  if (o_.every_steps > 0 && step % o_.every_steps == 0) return true;
  if (o_.each_epoch && epoch_end(step)) return true;
  if (o_.every_epochs > 0 && epoch_mark(epoch_at(step)) > epoch_mark(epoch_at(step - 1))) return true;
  return false;
}

}  // namespace crossover
