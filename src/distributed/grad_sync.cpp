// grad_sync.cpp — bucket layout, the post-accumulate-grad hooks, in-order launches and finish().
#include "crossover/distributed/grad_sync.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/torch.h>

#include <algorithm>
#include <unordered_set>

#include "crossover/util/check.h"
#include "crossover/util/host_sync.h"

namespace crossover {

// LibTorch's C++ side of Tensor.register_post_accumulate_grad_hook: one hook
// object per leaf, called by AccumulateGrad after .grad is updated.
struct GradReadyHook : torch::autograd::PostAccumulateGradHook {
  GradReadyHook(GradSync* sync, int64_t slot) : sync_(sync), slot_(slot) {}
  void operator()(const torch::autograd::Variable& /*param*/) override {
    sync_->on_grad_ready(slot_);
  }
  GradSync* sync_;
  int64_t slot_;
};

GradSync::GradSync(const std::vector<torch::Tensor>& params, std::shared_ptr<Dist> dist,
                   double bucket_mb, ShardMode mode, bool bf16_comm)
    : dist_(std::move(dist)), mode_(mode), bf16_comm_(bf16_comm) {
  CROSSOVER_CHECK(dist_ != nullptr, "GradSync needs a Dist");
  if (!dist_->enabled()) return;
  CROSSOVER_CHECK(!bf16_comm || mode != ShardMode::optimizer,
                  "bf16 gradient buckets do not work with dist.shard=optimizer",
                  "; hint: ZeRO-1's fp32 buckets also gather the weights: use dist.shard=gradients "
                  "or none with bf16 gradients");
  CROSSOVER_CHECK(bucket_mb > 0, "dist.bucket_mb must be positive, got ", bucket_mb);
  const double cap_bytes = bucket_mb * 1024.0 * 1024.0;
  std::unordered_set<const void*> seen;
  // Reverse registration order: roughly the order backward produces gradients.
  std::vector<int64_t> numels;
  double bucket_bytes = 0;
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    const torch::Tensor& p = *it;
    if (!p.defined() || !p.requires_grad() || !seen.insert(p.unsafeGetTensorImpl()).second)
      continue;
    CROSSOVER_CHECK(p.is_leaf(), "GradSync: parameter ", slots_.size(), " is not a leaf tensor");
    double bytes = static_cast<double>(p.numel()) * static_cast<double>(p.element_size());
    bool fresh = buckets_.empty() || bucket_bytes + bytes > cap_bytes;
    if (!fresh) {
      const Slot& prev = slots_[buckets_.back().slots.back()];
      fresh = prev.param.dtype() != p.dtype() || prev.param.device() != p.device();
    }
    if (fresh) {
      buckets_.emplace_back();
      numels.push_back(0);
      bucket_bytes = 0;
    }
    Slot s;
    s.param = p;
    s.bucket = static_cast<int64_t>(buckets_.size()) - 1;
    s.offset = numels.back();
    numels.back() += p.numel();
    bucket_bytes += bytes;
    buckets_.back().slots.push_back(static_cast<int64_t>(slots_.size()));
    slots_.push_back(s);
  }
  // Sharded: pad to a multiple of W (zeros, so they add nothing to sums or norms).
  const int64_t w = mode_ == ShardMode::none ? 1 : dist_->world_size();
  for (size_t b = 0; b < buckets_.size(); ++b) {
    Bucket& bk = buckets_[b];
    bk.options = slots_[bk.slots[0]].param.options().requires_grad(false);
    const auto shard_options = bk.options;
    if (bf16_comm_ && bk.options.dtype() == torch::kFloat32) bk.options = bk.options.dtype(torch::kBFloat16);
    bk.chunk = (numels[b] + w - 1) / w;
    if (mode_ == ShardMode::gradients)
      bk.shard = torch::zeros({bk.chunk}, shard_options);  // flat is made per micro-batch
    else
      bk.flat = torch::zeros({bk.chunk * w}, bk.options);
  }
  track_peak();
  for (size_t i = 0; i < slots_.size(); ++i)
    torch::autograd::impl::set_post_acc_grad_hooks(
        slots_[i].param, std::make_unique<GradReadyHook>(this, static_cast<int64_t>(i)));
  reset_step();
}

GradSync::~GradSync() {
  for (auto& s : slots_) torch::autograd::impl::set_post_acc_grad_hooks(s.param, nullptr);
}

void GradSync::reset_micro_batch() {
  for (auto& s : slots_) s.ready = false;
  for (auto& b : buckets_) {
    b.pending = static_cast<int64_t>(b.slots.size());
    b.work.reset();
  }
  next_launch_ = 0;
  armed_ = false;
}

void GradSync::reset_step() {
  for (auto& s : slots_) s.used = false;
  accumulated_ = false;
  reset_micro_batch();
}

void GradSync::track_peak() {
  int64_t n = 0;
  for (const auto& b : buckets_) {
    if (b.flat.defined()) n += b.flat.nbytes();
    if (b.shard.defined()) n += b.shard.nbytes();
    if (b.landing.defined()) n += b.landing.nbytes();
  }
  peak_bytes_ = std::max(peak_bytes_, n);
}

void GradSync::arm(bool last) {
  if (!dist_->enabled()) return;
  if (!last && mode_ != ShardMode::gradients) return;  // no_sync: accumulate in .grad
  std::lock_guard<std::mutex> lock(mu_);
  CROSSOVER_CHECK(!armed_, "GradSync armed twice without end_micro_batch() or finish()",
                  "; hint: call finish() after the last micro-batch's backward");
  armed_ = true;
  armed_last_ = last;
}

void GradSync::wait_bucket(Bucket& b) {
  if (!b.work) return;
  b.work->wait();
  b.work.reset();
  if (b.landing.defined()) {  // ZeRO-2 with bf16 buckets: the fp32 shard accumulates
    if (accumulated_) b.shard.add_(b.landing);
    else b.shard.copy_(b.landing);
    b.landing = torch::Tensor();
  }
}

void GradSync::free_spent_buckets(int64_t before) {
  for (int64_t i = 0; i < before && i < static_cast<int64_t>(next_launch_); ++i) {
    Bucket& b = buckets_[i];
    if (!b.flat.defined()) continue;
    wait_bucket(b);
    b.flat = torch::Tensor();
  }
}

void GradSync::end_micro_batch() {
  if (!dist_->enabled() || mode_ != ShardMode::gradients) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (!armed_ || armed_last_) return;  // the last micro-batch is finish()'s
  torch::NoGradGuard no_grad;
  for (size_t b = next_launch_; b < buckets_.size(); ++b)
    for (int64_t i : buckets_[b].slots)
      if (!slots_[i].ready) fill_slot(slots_[i]);
  launch_in_order();
  free_spent_buckets(static_cast<int64_t>(buckets_.size()));
  accumulated_ = true;
  reset_micro_batch();
}

void GradSync::fill_slot(Slot& s) {
  torch::NoGradGuard no_grad;
  Bucket& b = buckets_[s.bucket];
  if (!b.flat.defined()) {
    // ZeRO-2: at most this bucket and the one before it alive at once.
    if (mode_ == ShardMode::gradients) free_spent_buckets(s.bucket - 1);
    b.flat = torch::zeros({b.chunk * dist_->world_size()}, b.options);
    track_peak();
  }
  torch::Tensor dst = b.flat.narrow(0, s.offset, s.param.numel()).view(s.param.sizes());
  const torch::Tensor& g = s.param.grad();
  if (g.defined()) {
    CROSSOVER_CHECK(!g.is_sparse(), "GradSync does not support sparse gradients");
    dst.copy_(g);
  } else {
    dst.zero_();  // no gradient on this rank this step: contributes zeros
  }
  s.used = s.used || g.defined() || s.ever_used;  // over the step's micro-batches
  s.ever_used = s.used;
  // ZeRO-2: the bucket has it now (autograd allows dropping .grad in this hook).
  if (mode_ == ShardMode::gradients && g.defined()) {
    peak_grad_bytes_ = std::max<int64_t>(peak_grad_bytes_, g.nbytes());
    s.param.mutable_grad() = torch::Tensor();
  }
  s.ready = true;
  --b.pending;
}

void GradSync::on_grad_ready(int64_t slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!armed_) return;  // an earlier micro-batch (none/optimizer): accumulate locally
  Slot& s = slots_[slot];
  CROSSOVER_CHECK(!s.ready, "GradSync: a parameter received a second gradient after "
                  "arm_for_last_micro_batch()",
                  "; hint: run backward once per micro-batch and arm only the last one");
  fill_slot(s);
  if (buckets_[s.bucket].pending == 0) launch_in_order();
}

void GradSync::launch_in_order() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
    Bucket& b = buckets_[next_launch_];
    if (mode_ == ShardMode::gradients) {
      torch::NoGradGuard no_grad;
      if (b.flat.scalar_type() == b.shard.scalar_type()) {
        // Earlier micro-batches' sums ride along in this rank's own chunk.
        if (accumulated_) b.flat.narrow(0, dist_->rank() * b.chunk, b.chunk).add_(b.shard);
        b.work = dist_->reduce_scatter_sum_async(b.shard, b.flat);
      } else {
        b.landing = torch::empty({b.chunk}, b.options);  // (chunk,) bf16
        track_peak();
        b.work = dist_->reduce_scatter_sum_async(b.landing, b.flat);
      }
    } else {
      b.work = dist_->all_reduce_sum_async(b.flat);
    }
    ++next_launch_;
  }
}

void GradSync::finish() {
  if (!dist_->enabled()) return;
  torch::NoGradGuard no_grad;
  std::vector<float> used_local(slots_.size(), 0.f);
  {
    std::lock_guard<std::mutex> lock(mu_);
    CROSSOVER_CHECK(armed_ && armed_last_, "GradSync::finish() without arm(/*last=*/true)",
                    "; hint: arm before the last micro-batch's backward");
    armed_ = false;
    overlapped_ = static_cast<int64_t>(next_launch_);
    // Whatever backward did not reach: parameters unused in the last micro-batch.
    for (size_t b = next_launch_; b < buckets_.size(); ++b)
      for (int64_t i : buckets_[b].slots)
        if (!slots_[i].ready) fill_slot(slots_[i]);
    launch_in_order();
    for (size_t i = 0; i < slots_.size(); ++i) used_local[i] = slots_[i].used ? 1.f : 0.f;
  }
  // Which parameters had a gradient on any rank (issued after every bucket, on
  // every rank). The set only grows (ever_used), so once it is full every rank
  // knows the answer without asking: no collective, no host read.
  if (!all_used_) {
    torch::Tensor used = torch::tensor(used_local).to(dist_->device());
    dist_->all_reduce_sum(used);
    used = used.cpu();
    ++host_reads_;
    count_host_sync();
    const float* used_any = used.data_ptr<float>();
    bool all = true;
    for (size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].used_any = used_any[i] != 0.f;
      all = all && slots_[i].used_any;
    }
    all_used_ = all;
  }
  for (auto& b : buckets_) wait_bucket(b);
  if (mode_ != ShardMode::none) {
    // Sharded: the optimizer reads grad_shard(); .grad is not written back.
    if (mode_ == ShardMode::gradients)
      for (auto& b : buckets_) b.flat = torch::Tensor();
    reset_step();
    return;
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (!s.used_any) continue;  // no rank touched it: .grad stays undefined
    torch::Tensor sum =
        buckets_[s.bucket].flat.narrow(0, s.offset, s.param.numel()).view(s.param.sizes());
    if (s.param.grad().defined())
      s.param.mutable_grad().copy_(sum);
    else
      s.param.mutable_grad() = sum.to(s.param.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
  }
  reset_step();
}

torch::Tensor GradSync::grad_shard(int64_t bucket) const {
  CROSSOVER_CHECK(mode_ != ShardMode::none, "GradSync::grad_shard() needs a sharded mode",
                  "; hint: dist.shard=optimizer or gradients");
  const Bucket& b = buckets_[bucket];
  if (mode_ == ShardMode::gradients) return b.shard;
  return b.flat.narrow(0, dist_->rank() * b.chunk, b.chunk);
}

int64_t GradSync::held_bytes() const {
  int64_t n = 0;
  for (const auto& b : buckets_) {
    if (b.flat.defined()) n += b.flat.nbytes();  // ZeRO-2: only while a step runs
    if (b.shard.defined()) n += b.shard.nbytes();
  }
  return static_cast<int64_t>(n);
}

}  // namespace crossover
