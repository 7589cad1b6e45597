// grad_sync.h — data-parallel gradient synchronisation: sums .grad over ranks
// in flat buckets of dist.bucket_mb MiB, overlapped with backward.
//
// How: each parameter gets a post-accumulate-grad hook (it fires after autograd
// has added this backward's gradient into .grad). While armed, the hook copies
// the accumulated .grad into its bucket; a full bucket is all-reduced at once,
// buckets strictly in index order so every rank issues the same collectives in
// the same order. Only the last micro-batch of a step is armed (DDP's no_sync
// for the others): earlier micro-batches just accumulate into .grad locally.
//
// SUM, not mean: the trainer divides each micro-batch loss by the global token
// count of the step, so the sum over ranks is exactly the world-1 gradient.
//
// Parameters that get no gradient in a step (unused MoE experts, a branch one
// rank's data never takes) count as zeros, so no rank waits for them; a
// parameter that no rank touched keeps an undefined .grad, as in a world-1 run.
//
// Sharded modes (dist.shard, ZeRO): every bucket is padded with zeros to a
// multiple of the world size W and split into W equal chunks; rank r owns
// chunk r of every bucket — the slice of the gradients (and, in
// train/sharded_adamw.h, of the AdamW moments) it updates. `optimizer`
// (ZeRO-1) all-reduces the buckets as `none` does but leaves the sums in the
// buckets (the optimizer reads its chunk, .grad is not written back);
// `gradients` (ZeRO-2) reduce-scatters each bucket into this rank's chunk,
// releases .grad as soon as the last micro-batch's gradient is copied into
// its bucket, and frees the bucket once reduced, so between steps a rank holds
// only its 1/W of the gradients. Earlier micro-batches still accumulate full
// .grad locally (as DDP's no_sync).
//
// Use, per optimizer step with k micro-batches:
//   for (i = 0; i < k; ++i) {
//     if (i == k - 1) sync.arm_for_last_micro_batch();
//     (loss_i / global_tokens).backward();
//   }
//   sync.finish();          // waits; .grad now holds the sum over ranks
//   clip, optimizer.step(), optimizer.zero_grad();
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crossover/dist/dist.h"

namespace crossover {

enum class ShardMode { none, optimizer, gradients };
// "none" | "optimizer" | "gradients" (dist.shard); throws UsageError otherwise.
ShardMode shard_mode_from_string(const std::string& s);
const char* shard_mode_name(ShardMode m);

class GradSync {
 public:
  // params: trainable parameters (requires_grad=false and repeated tensors are
  // skipped). World 1: no hooks, no buffers; arm/finish do nothing.
  GradSync(const std::vector<torch::Tensor>& params, std::shared_ptr<Dist> dist,
           double bucket_mb, ShardMode mode = ShardMode::none);
  ~GradSync();  // removes the hooks
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  // Call before the backward of the last micro-batch of a step.
  void arm_for_last_micro_batch();
  // Launches what backward left (unused parameters), waits for every bucket
  // and writes the sums into .grad. Throws crossover::Error if a rank died.
  void finish();

  int64_t num_buckets() const { return static_cast<int64_t>(buckets_.size()); }
  int64_t num_params() const { return static_cast<int64_t>(slots_.size()); }
  // Buckets of the last finished step that were launched during backward (the
  // rest waited for finish(): a bucket launches only after every earlier one,
  // so a parameter without gradient holds back the buckets from its own on).
  int64_t overlapped_buckets() const { return overlapped_; }

  // The layout, for sharded modes (valid for every mode).
  ShardMode mode() const { return mode_; }
  const torch::Tensor& slot_param(int64_t slot) const { return slots_[slot].param; }
  int64_t slot_bucket(int64_t slot) const { return slots_[slot].bucket; }
  int64_t slot_offset(int64_t slot) const { return slots_[slot].offset; }  // elements
  int64_t chunk_numel(int64_t bucket) const { return buckets_[bucket].chunk; }  // padded / W
  // After finish(), sharded modes: this rank's chunk of the summed bucket, (chunk,).
  torch::Tensor grad_shard(int64_t bucket) const;
  // optimizer mode: the bucket's (W·chunk,) buffer, free between finish() and
  // the next step's backward (the optimizer all-gathers weights into it);
  // undefined in the other modes. Its padding must be left zero.
  torch::Tensor bucket_buffer(int64_t bucket) const {
    return mode_ == ShardMode::optimizer ? buckets_[bucket].flat : torch::Tensor();
  }
  // After finish(): whether any rank has had a gradient for this slot (this step
  // or an earlier one: an unsharded .grad, once made, stays defined, zeroed).
  bool grad_used(int64_t slot) const { return slots_[slot].used_any; }
  // Bytes of gradient buffers this object keeps between steps (buckets, shards).
  int64_t held_bytes() const;

 private:
  struct Slot {
    torch::Tensor param;
    int64_t bucket = 0;
    int64_t offset = 0;  // into the bucket's flat buffer, elements
    bool ready = false;  // copied into the bucket this step
    bool used = false;   // had a defined .grad this step
    bool used_any = false;  // ... on any rank (set by finish())
    bool ever_used = false;  // had one in any step: .grad, once made, stays (zeroed) in
                             // unsharded runs; ZeRO-2 drops .grad, so remember it here
  };
  struct Bucket {
    torch::Tensor flat;  // (W·chunk,) one dtype, one device; gradients mode: only during a step
    torch::Tensor shard;  // (chunk,) gradients mode: this rank's reduced chunk
    int64_t chunk = 0;    // padded numel / W (none: numel)
    torch::TensorOptions options;
    std::vector<int64_t> slots;
    int64_t pending = 0;  // slots not yet ready
    std::unique_ptr<DistWork> work;
  };
  friend struct GradReadyHook;
  void on_grad_ready(int64_t slot);  // from the autograd hook
  void fill_slot(Slot& s);
  void launch_in_order();  // launches buckets from next_launch_ while ready
  void reset_step();

  std::shared_ptr<Dist> dist_;
  ShardMode mode_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::mutex mu_;
  bool armed_ = false;
  size_t next_launch_ = 0;
  int64_t overlapped_ = 0;
};

}  // namespace crossover
