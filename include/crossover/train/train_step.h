// train_step.h — one optimizer step, shared by `crossover train` and
// `crossover bench` so the benchmark measures exactly what training runs.
//
// Loss normalisation: every micro-batch's Σ w·CE is divided by the GLOBAL
// number of tokens in the step (B_global · T_step), and gradients are summed
// over micro-batches and ranks. The step's loss and gradients are therefore
// identical however the batch is split (micro-batches, ranks).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "crossover/config/config.h"
#include "crossover/dist/dist.h"
#include "crossover/dist/grad_sync.h"
#include "crossover/model/transformer.h"
#include "crossover/objective/objective.h"
#include "crossover/train/optimizer.h"

namespace crossover {

struct TrainState {
  Config cfg;
  torch::Device device = torch::kCPU;
  bool bf16 = false;                      // autocast bf16 (CUDA only)
  Transformer model{nullptr};
  std::unique_ptr<Objective> objective;
  // AdamW (replicated state) or, with dist.shard != none at world > 1,
  // ShardedAdamW over grad_sync's buckets (declared first: destroyed last).
  std::unique_ptr<GradSync> grad_sync;    // only when world > 1
  std::unique_ptr<Optimizer> optim;
  std::shared_ptr<Dist> dist;             // world 1: collectives are no-ops
  int64_t vocab_size = 0;
  int64_t mask_id = 0;
  int64_t world_size = 1;
  int64_t rank = 0;
  // Testing only: the loss of this step reads as NaN (env CROSSOVER_TEST_NAN_AT_STEP),
  // so the NaN policy can be exercised deterministically.
  int64_t inject_nan_step = -1;
};

struct StepStats {
  double loss = 0;        // global mean loss of the step (nats/token incl. MoE aux)
  double grad_norm = 0;   // before clipping
  double lr = 0;
  int64_t seq_len = 0;    // T of this step (shorter on a short-sequence step)
  bool skipped = false;   // non-finite loss under nan_policy=skip
};

// Builds model (initialised from seed), objective and optimizer on `device`.
TrainState make_train_state(const Config& cfg, int64_t vocab_size, int64_t mask_id,
                            torch::Device device, std::shared_ptr<Dist> dist);

// One step on this rank's rows of the global batch: tokens (B_local, T+1) int64.
StepStats train_step(TrainState& st, const torch::Tensor& tokens, int64_t step,
                     int64_t total_steps);

// Total steps for the config: ceil(total_tokens / (batch_size · seq_len)).
int64_t total_train_steps(const Config& cfg);

}  // namespace crossover
