// eval_options.h — the scoring options of one evaluation (validation loss,
// multiple-choice tasks, the code tasks' likelihood), built in one place from
// the run's config for both the trainer's periodic evaluation and `crossover
// eval` (which then applies its command-line overrides).
#pragma once

#include <cstdint>

#include "crossover/config/config.h"
#include "crossover/eval/multiple_choice.h"
#include "crossover/eval/validation.h"

namespace crossover {

struct EvalOptions {
  ValidationOptions val;       // bytes_per_token is the caller's (it depends on the batches)
  TaskScoringOptions tasks;    // tasks.loglik also scores the code tasks' canonical solutions
};

// paradigm: the trained model's (Objective::paradigm()); mask_id: the
// tokenizer's [MASK]; max_seq_len: the model's context.
EvalOptions make_eval_options(const Config& cfg, const Paradigm& paradigm, int64_t mask_id,
                              bool bf16, int64_t max_seq_len);

}  // namespace crossover
