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
// `gradients` (ZeRO-2) is armed for EVERY micro-batch: each bucket is
// reduce-scattered into this rank's (chunk,) shard, which accumulates over
// the micro-batches (the shard is added into this rank's own chunk of the
// bucket before the reduce-scatter, so the result is Σ_micro Σ_ranks), .grad
// is released as soon as it is copied into its bucket, and a bucket's
// (W·chunk,) buffer lives only while it is filled or in flight: before a new
// one is allocated every launched bucket but the previous one is waited for
// and freed. So a ZeRO-2 rank holds its 1/W of the gradients plus at most two
// buckets, never a full .grad (train/plan.h counts exactly these). The price:
// one reduce-scatter per micro-batch instead of one per step (k x the traffic,
// overlapped with backward like the rest); fewer, larger micro-batches pay less.
//
// dist.grad_dtype=bf16 (bf16_comm): the buckets hold bf16 copies of fp32 gradients (half
// the bytes on the wire and in the buckets); the sums land in fp32 (.grad, or
// a ZeRO-2 shard through a (chunk,) bf16 buffer). Not with ZeRO-1, whose
// fp32 buckets double as the weight all-gather buffers.
//
// Use, per optimizer step with k micro-batches:
//   for (i = 0; i < k; ++i) {
//     sync.arm(/*last=*/i == k - 1);   // none/optimizer: only the last one arms
//     (loss_i / global_tokens).backward();
//     sync.end_micro_batch();          // ZeRO-2, i < k-1: wait, accumulate into the shard
//   }
//   sync.finish();          // waits; .grad (or the shards) now hold the sum over ranks
//   clip, optimizer.step(), optimizer.zero_grad();
//
// Host syncs: none in steady state. Which parameters got a gradient on some
// rank is all-reduced (and read on the host) only until every parameter has
// had one: that set only grows, so afterwards the answer is known.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crossover/config/choices.h"
#include "crossover/distributed/dist.h"

namespace crossover {

// ShardMode (dist.shard: none | optimizer | gradients) is config/choices.h's.

class GradSync {
 public:
  // params: trainable parameters (requires_grad=false and repeated tensors are
  // skipped). World 1: no hooks, no buffers; arm/finish do nothing.
  // bf16_comm: dist.grad_dtype=bf16 (fp32 parameters' buckets in bf16).
  GradSync(const std::vector<torch::Tensor>& params, std::shared_ptr<Dist> dist,
           double bucket_mb, ShardMode mode = ShardMode::none, bool bf16_comm = false);
  ~GradSync();  // removes the hooks
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  // Call before the backward of every micro-batch; last: the step's last one.
  // none/optimizer ignore the others (their gradients accumulate in .grad).
  void arm(bool last);
  void arm_for_last_micro_batch() { arm(true); }
  // Call after the backward of every micro-batch. ZeRO-2, not the last one:
  // launches what backward left, waits, and the shards hold the running sum.
  void end_micro_batch();
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
  // The most bytes of gradient buffers alive at once since construction
  // (persistent buckets and shards, plus ZeRO-2's in-flight buckets).
  int64_t peak_bytes() const { return peak_bytes_; }
  // ZeRO-2: the largest .grad seen alive (each is released into its bucket at
  // once, so this is the most .grad memory held at any moment); 0 otherwise.
  int64_t peak_grad_bytes() const { return peak_grad_bytes_; }
  // Collectives whose result was read on the host (the used-parameter set).
  int64_t host_reads() const { return host_reads_; }

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
    torch::Tensor shard;  // (chunk,) gradients mode: this rank's reduced chunk (fp32)
    torch::Tensor landing;  // (chunk,) gradients mode with bf16 buckets: the reduce-scatter output
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
  void reset_micro_batch();
  void reset_step();
  void free_spent_buckets(int64_t before);  // ZeRO-2: wait for and free launched buckets < before
  void wait_bucket(Bucket& b);              // ... and land a ZeRO-2 bf16 result in its shard
  void track_peak();

  std::shared_ptr<Dist> dist_;
  ShardMode mode_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::mutex mu_;
  bool armed_ = false;
  bool armed_last_ = false;
  bool accumulated_ = false;  // ZeRO-2: the shards hold earlier micro-batches' sums this step
  bool all_used_ = false;     // every slot has had a gradient on some rank: no used all-reduce
  bool bf16_comm_ = false;
  size_t next_launch_ = 0;
  int64_t peak_bytes_ = 0;
  int64_t peak_grad_bytes_ = 0;
  int64_t host_reads_ = 0;
  int64_t overlapped_ = 0;
};

}  // namespace crossover
