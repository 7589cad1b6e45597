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
#include "crossover/distributed/dist.h"
#include "crossover/distributed/grad_sync.h"
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
  // Testing only: the loss of this step reads as NaN (TrainOptions::inject_nan_at_step,
  // a test seam), so the NaN policy can be exercised deterministically.
  int64_t inject_nan_step = -1;
  // The most bytes held at once so far, by part (train/plan.h's names): .grad
  // summed after every micro-batch's backward (and ZeRO-2's largest transient
  // .grad), gradient-sync buffers at their peak. Host bookkeeping only.
  OptimizerBytes held_peak;
};

// A step's scalars stay on the device (reading them would stall a GPU every
// step); StepScalars folds them into one tensor read every log_every steps.
struct StepStats {
  torch::Tensor loss;       // () float64 on the device: this rank's part of the step's
                            // global mean loss (nats/token incl. MoE aux); Σ over ranks = the loss
  torch::Tensor grad_norm;  // () on the device, before clipping; undefined when skipped
  double lr = 0;
  int64_t step = 0;
  int64_t seq_len = 0;      // T of this step (shorter on a short-sequence step)
  bool skipped = false;     // non-finite loss under nan_policy=skip (read every step there)
  double loss_value = 0;    // the global loss, known on the host only under nan_policy=skip
};

// The scalars of the steps since the last read, read together: one
// all-reduce of one small tensor (the ranks' loss parts, the stop flags) and
// one host read. Every rank must call read() at the same steps.
class StepScalars {
 public:
  struct Readout {
    std::vector<double> losses;  // global loss of each step added, in order
    std::vector<int64_t> steps;  // their step indices
    double grad_norm = 0;        // of the last step that was not skipped
    bool stop = false;           // some rank asked to stop (stop_local)
  };
  void add(const StepStats& s);
  bool empty() const { return losses_.empty(); }
  Readout read(Dist* dist, bool stop_local);

 private:
  std::vector<torch::Tensor> losses_;
  std::vector<int64_t> steps_;
  torch::Tensor grad_norm_;
  double last_norm_ = 0;
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
