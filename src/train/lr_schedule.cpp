// lr_schedule.cpp — the learning-rate schedules (cosine, WSD, constant) as functions of the step (lr_schedule.h).
#include "crossover/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace crossover {

double lr_at(const TrainConfig& cfg, int64_t step, int64_t total_steps) {
  const double lr = cfg.lr;
  const double lr_min = cfg.lr * cfg.lr_min_ratio;
  const int64_t warmup = std::min(cfg.lr_warmup_steps, std::max<int64_t>(total_steps - 1, 0));
  if (step < warmup) return lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (cfg.lr_schedule == LrSchedule::kConstant) return lr;
  if (cfg.lr_schedule == LrSchedule::kCosine) {
    const int64_t span = std::max<int64_t>(total_steps - 1 - warmup, 1);
    const double p = std::min(1.0, static_cast<double>(step - warmup) / static_cast<double>(span));
    return lr_min + (lr - lr_min) * 0.5 * (1.0 + std::cos(M_PI * p));
  }
  // wsd
  const int64_t decay_steps =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(cfg.lr_decay_frac * total_steps)));
  const int64_t decay_start = std::max(warmup, total_steps - decay_steps);
  if (step < decay_start) return lr;
  const double q = std::min(1.0, static_cast<double>(step - decay_start + 1) /
                                     static_cast<double>(total_steps - decay_start));
  return lr * std::pow(std::max(cfg.lr_min_ratio, 1e-12), q);
}

}  // namespace crossover
