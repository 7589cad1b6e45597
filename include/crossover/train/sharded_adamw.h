// sharded_adamw.h — AdamW with its moments sharded over ranks (ZeRO stage 1
// with dist.shard=optimizer, stage 2 with dist.shard=gradients).
//
// Layout: GradSync's buckets (distributed/grad_sync.h), each padded to a multiple of
// the world size W and cut into W chunks; rank r owns chunk r of every bucket.
// Per bucket this rank holds two moment buffers of the chunk's size, so the
// optimizer state per rank is 8 B x params / W instead of 8 B x params.
//
// A step, after GradSync::finish():
//   clip_grad_norm: ||g||² = Σ_ranks Σ_owned-chunks ||g_chunk||² (all-reduced),
//                   the same norm as the unsharded gradient (padding is zero);
//   step:           the AdamW update of train/adamw.h, element for element, on
//                   the owned pieces of each parameter (views into the
//                   parameters), then every bucket's updated chunk is
//                   all-gathered so each rank holds the full new weights.
// Parameters that no rank had a gradient for are skipped, as AdamW skips an
// undefined .grad.
//
// State on disk is the unsharded format (train/optimizer.h): state_tensors()
// all-gathers one bucket at a time and rank 0 cuts each parameter out into
// CPU memory (never the full state on the device);
// load_state() copies this rank's pieces out of the full tensors. So
// checkpoints move freely between shard modes and world sizes.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crossover/distributed/dist.h"
#include "crossover/distributed/grad_sync.h"
#include "crossover/train/adamw.h"
#include "crossover/train/optimizer.h"

namespace crossover {

class ShardedAdamW : public Optimizer {
 public:
  // params: name -> tensor (contiguous); every one must be a GradSync slot.
  // sync must be in a sharded mode and outlive this object.
  ShardedAdamW(const std::vector<std::pair<std::string, torch::Tensor>>& params,
               const std::vector<std::string>& no_decay, AdamWOptions options,
               GradSync& sync, std::shared_ptr<Dist> dist);

  torch::Tensor clip_grad_norm_device(double max_norm) override;
  void step(double lr) override;
  void zero_grad() override;  // releases local .grad (ZeRO-1 accumulates into it)
  int64_t steps() const override { return t_; }
  std::vector<std::pair<std::string, torch::Tensor>> state_tensors() override;
  void load_state(const std::map<std::string, torch::Tensor>& tensors, int64_t steps) override;
  OptimizerBytes held_bytes() const override;

 private:
  // The part of one parameter that lies in this rank's chunk of its bucket.
  struct Piece {
    int64_t param = 0;         // index into params_
    int64_t slot = 0;          // GradSync slot
    int64_t bucket = 0;
    int64_t param_offset = 0;  // into the flattened parameter, elements
    int64_t chunk_offset = 0;  // into this rank's chunk of the bucket
    int64_t numel = 0;
  };
  void all_gather_weights();

  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::vector<bool> decay_;
  std::vector<int64_t> slot_of_;          // params_ index -> GradSync slot
  std::vector<Piece> pieces_;
  std::vector<torch::Tensor> exp_avg_;     // per bucket, (chunk,)
  std::vector<torch::Tensor> exp_avg_sq_;  // per bucket, (chunk,)
  AdamWOptions options_;
  GradSync& sync_;
  std::shared_ptr<Dist> dist_;
  int64_t t_ = 0;
};

}  // namespace crossover
