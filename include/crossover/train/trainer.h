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
  // A checkpoint of ANOTHER run to start this new run from (`train --branch-from`):
  // weights, AdamW moments, step and data cursor, so the branch continues the
  // parent under its own LR schedule (a WSD decay from any constant-LR
  // checkpoint: annealing at the early-stopping point). The configs must be the
  // same experiment except the schedule keys kBranchKeys; the parent's metric
  // rows up to the checkpoint's step are copied, so the branch's curve is whole.
  // With --resume auto on a branch that already has checkpoints, it resumes.
  std::string branch_from;
  // Test seam (fault injection, never set by the CLI): the loss of this step
  // reads as NaN, so the NaN policy can be exercised deterministically
  // (tests/train/trainer_itest.cpp runs run_training in process with it).
  int64_t inject_nan_at_step = -1;
};

// The keys a branch may change from its parent (besides cadence and runtime):
// train.total_tokens, train.lr_schedule, train.lr_decay_frac, train.lr_min_ratio.
bool is_branch_key(const std::string& key);

struct TrainResult {
  int64_t steps = 0;
  int64_t tokens = 0;
  double final_val_loss = 0;
  bool interrupted = false;  // stopped by a signal; resumable
  std::string run_dir;
};

TrainResult run_training(const Config& cfg, const TrainOptions& opts);

}  // namespace crossover
