// lr_schedule.h — learning-rate schedules as pure functions of the step, so
// nothing about them needs saving in a checkpoint.
//
//   warmup:   lr · (step + 1) / warmup                       for step < warmup
//   cosine:   lr_min + (lr − lr_min) · ½(1 + cos(π·p)),       p = (step − warmup) / (total − warmup)
//   wsd:      lr until the last ⌈decay_frac · total⌉ steps, then exponential decay
//             lr · min_ratio^q, q = (step − decay_start + 1) / decay_steps  (the paper's
//             warmup-stable-decay with an exponential tail; reaches lr_min at the last step)
//   constant: lr after warmup
// with lr_min = lr · lr_min_ratio.
#pragma once

#include <cstdint>

#include "crossover/config/config.h"

namespace crossover {

double lr_at(const TrainConfig& cfg, int64_t step, int64_t total_steps);

}  // namespace crossover
