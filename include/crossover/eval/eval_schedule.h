// eval_schedule.h — when a training run evaluates (the Validator's
// should_validate of torchtitan, here should_evaluate). Three cadences, any
// combination:
//   - every N optimizer steps (train.eval_every);
//   - at every epoch boundary of the unique data (train.eval_each_epoch);
//   - every E epochs (train.eval_every_epochs), switching to every E_late epochs
//     after A epochs (train.eval_late_after_epochs, train.eval_late_every_epochs).
// The epoch cadence lets one sweep evaluate several unique-data budgets at the
// same resolution in epochs (figure 1: ≤ 2 epochs apart around the crossover,
// sparser once every budget is far past it) without a per-budget step count.
// An evaluation is due after step s when a mark is crossed between s−1 and s:
//   mark(e) = floor(e / E)                          for e < A (or A = 0: no late phase)
//   mark(e) = floor(A / E) + 1 + floor((e − A) / E_late)   for e ≥ A,
// with e = s · tokens_per_step / unique_tokens; so the switch at A is itself an
// evaluation. The end of training is the caller's (it always evaluates).
#pragma once

#include <cstdint>

namespace crossover {

struct EvalScheduleOptions {
  int64_t every_steps = 0;         // 0 = off
  bool each_epoch = false;
  double every_epochs = 0;         // E; 0 = off
  double late_after_epochs = 0;    // A; 0 = no late phase
  double late_every_epochs = 0;    // E_late (> 0 when A > 0)
};

class EvalSchedule {
 public:
  // Throws (one line, naming the train.* key) on a negative or inconsistent cadence.
  EvalSchedule(EvalScheduleOptions o, int64_t tokens_per_step, int64_t unique_tokens);

  // Whether an evaluation is due after `step` optimizer steps (step >= 1).
  bool should_evaluate(int64_t step) const;
  // Whether `step` ends an epoch (the data's epoch counter moves between step−1 and step).
  bool epoch_end(int64_t step) const;
  double epoch_at(int64_t step) const;
  // The epoch-cadence mark at epoch e (above); −1 when that cadence is off.
  int64_t epoch_mark(double epoch) const;

 private:
  EvalScheduleOptions o_;
  int64_t tokens_per_step_;
  int64_t unique_tokens_;
};

}  // namespace crossover
