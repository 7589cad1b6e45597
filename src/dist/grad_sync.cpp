// grad_sync.cpp — bucket layout, the post-accumulate-grad hooks, in-order launches and finish().
#include "crossover/dist/grad_sync.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/torch.h>

#include <unordered_set>

#include "crossover/util/check.h"

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

ShardMode shard_mode_from_string(const std::string& s) {
  if (s == "none") return ShardMode::none;
  if (s == "optimizer") return ShardMode::optimizer;
  if (s == "gradients") return ShardMode::gradients;
  throw UsageError(str_cat("dist.shard must be none, optimizer or gradients, got '", s, "'"));
}

const char* shard_mode_name(ShardMode m) {
  switch (m) {
    case ShardMode::optimizer: return "optimizer";
    case ShardMode::gradients: return "gradients";
    default: return "none";
  }
}

GradSync::GradSync(const std::vector<torch::Tensor>& params, std::shared_ptr<Dist> dist,
                   double bucket_mb, ShardMode mode)
    : dist_(std::move(dist)), mode_(mode) {
  CROSSOVER_CHECK(dist_ != nullptr, "GradSync needs a Dist");
  if (!dist_->enabled()) return;
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
    bk.chunk = (numels[b] + w - 1) / w;
    if (mode_ == ShardMode::gradients)
      bk.shard = torch::zeros({bk.chunk}, bk.options);  // flat is made per step
    else
      bk.flat = torch::zeros({bk.chunk * w}, bk.options);
  }
  for (size_t i = 0; i < slots_.size(); ++i)
    torch::autograd::impl::set_post_acc_grad_hooks(
        slots_[i].param, std::make_unique<GradReadyHook>(this, static_cast<int64_t>(i)));
  reset_step();
}

GradSync::~GradSync() {
  for (auto& s : slots_) torch::autograd::impl::set_post_acc_grad_hooks(s.param, nullptr);
}

void GradSync::reset_step() {
  for (auto& s : slots_) s.ready = s.used = false;
  for (auto& b : buckets_) {
    b.pending = static_cast<int64_t>(b.slots.size());
    b.work.reset();
  }
  next_launch_ = 0;
  armed_ = false;
}

void GradSync::arm_for_last_micro_batch() {
  if (!dist_->enabled()) return;
  std::lock_guard<std::mutex> lock(mu_);
  CROSSOVER_CHECK(!armed_, "GradSync armed twice without finish()",
                  "; hint: call finish() after the last micro-batch's backward");
  armed_ = true;
}

void GradSync::fill_slot(Slot& s) {
  torch::NoGradGuard no_grad;
  Bucket& b = buckets_[s.bucket];
  if (!b.flat.defined()) b.flat = torch::zeros({b.chunk * dist_->world_size()}, b.options);
  torch::Tensor dst = b.flat.narrow(0, s.offset, s.param.numel()).view(s.param.sizes());
  const torch::Tensor& g = s.param.grad();
  if (g.defined()) {
    CROSSOVER_CHECK(!g.is_sparse(), "GradSync does not support sparse gradients");
    dst.copy_(g);
  } else {
    dst.zero_();  // no gradient on this rank this step: contributes zeros
  }
  s.used = g.defined() || s.ever_used;
  s.ever_used = s.used;
  // ZeRO-2: the bucket has it now (autograd allows dropping .grad in this hook).
  if (mode_ == ShardMode::gradients && g.defined()) s.param.mutable_grad() = torch::Tensor();
  s.ready = true;
  --b.pending;
}

void GradSync::on_grad_ready(int64_t slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!armed_) return;  // an earlier micro-batch: just accumulate locally
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
    b.work = mode_ == ShardMode::gradients ? dist_->reduce_scatter_sum_async(b.shard, b.flat)
                                           : dist_->all_reduce_sum_async(b.flat);
    ++next_launch_;
  }
}

void GradSync::finish() {
  if (!dist_->enabled()) return;
  torch::NoGradGuard no_grad;
  std::vector<float> used_local(slots_.size(), 0.f);
  {
    std::lock_guard<std::mutex> lock(mu_);
    CROSSOVER_CHECK(armed_, "GradSync::finish() without arm_for_last_micro_batch()",
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
  // Which parameters had a gradient on any rank (issued after every bucket, on every rank).
  torch::Tensor used = torch::tensor(used_local).to(dist_->device());
  dist_->all_reduce_sum(used);
  used = used.cpu();
  const float* used_any = used.data_ptr<float>();
  for (auto& b : buckets_) b.work->wait();
  for (size_t i = 0; i < slots_.size(); ++i) slots_[i].used_any = used_any[i] != 0.f;
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
      s.param.mutable_grad() = sum.clone();
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
    if (b.flat.defined() && mode_ != ShardMode::gradients) n += b.flat.nbytes();
    if (b.shard.defined()) n += b.shard.nbytes();
  }
  return static_cast<int64_t>(n);
}

}  // namespace crossover
