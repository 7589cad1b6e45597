// trainer.h — `crossover train`: repeated-epoch training on a fixed budget of
// unique tokens, with evaluation at a fixed cadence and at epoch boundaries,
// crash-safe checkpoints and exact resume.
//
// Run directory layout and metric rows: docs/formats.md. Only rank 0 writes.
// Stops cleanly on SIGINT/SIGTERM (checkpoint, exit 0). Resume (`auto` or a
// path) restores weights, optimizer moments, step and data cursor; every RNG
// stream is a function of (seed, step, rank), so the resumed run reproduces
// the uninterrupted one bit for bit on CPU.
#pragma once

#include <string>

#include "crossover/config/config.h"

namespace crossover {

struct TrainOptions {
  std::string resume;      // "" (fresh run), "auto" (latest valid checkpoint, if any) or a path
  bool overwrite = false;  // replace an existing run directory
};

struct TrainResult {
  int64_t steps = 0;
  int64_t tokens = 0;
  double final_val_loss = 0;
  bool interrupted = false;  // stopped by a signal; resumable
  std::string run_dir;
};

TrainResult run_training(const Config& cfg, const TrainOptions& opts);

}  // namespace crossover
