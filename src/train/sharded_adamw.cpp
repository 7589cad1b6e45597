// sharded_adamw.cpp — owned pieces, the sharded update and clip norm, the
// weight all-gather, and the gather / reshard of the full state.
#include "crossover/train/sharded_adamw.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "crossover/util/check.h"

namespace crossover {

ShardedAdamW::ShardedAdamW(const std::vector<std::pair<std::string, torch::Tensor>>& params,
                           const std::vector<std::string>& no_decay, AdamWOptions options,
                           GradSync& sync, std::shared_ptr<Dist> dist)
    : params_(params), options_(options), sync_(sync), dist_(std::move(dist)) {
  CROSSOVER_CHECK(sync_.mode() != ShardMode::none, "ShardedAdamW needs a sharded GradSync",
                  "; hint: dist.shard=optimizer or gradients");
  std::unordered_map<const void*, int64_t> slot_by_impl;
  for (int64_t s = 0; s < sync_.num_params(); ++s)
    slot_by_impl[sync_.slot_param(s).unsafeGetTensorImpl()] = s;
  std::set<std::string> nd(no_decay.begin(), no_decay.end());
  const int64_t r = dist_->rank();
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& [name, p] = params_[i];
    auto it = slot_by_impl.find(p.unsafeGetTensorImpl());
    CROSSOVER_CHECK(it != slot_by_impl.end() && p.is_contiguous(), "ShardedAdamW: parameter '",
                    name, "' is not a contiguous GradSync parameter",
                    "; hint: sharding needs every trainable parameter in the gradient buckets");
    decay_.push_back(nd.count(name) == 0);
    slot_of_.push_back(it->second);
    const int64_t s = it->second, b = sync_.slot_bucket(s), c = sync_.chunk_numel(b);
    const int64_t lo = std::max(sync_.slot_offset(s), r * c);
    const int64_t hi = std::min(sync_.slot_offset(s) + p.numel(), (r + 1) * c);
    if (lo < hi)
      pieces_.push_back(Piece{static_cast<int64_t>(i), s, b, lo - sync_.slot_offset(s), lo - r * c,
                              hi - lo});
  }
  for (int64_t b = 0; b < sync_.num_buckets(); ++b) {
    exp_avg_.push_back(torch::zeros_like(sync_.grad_shard(b)));  // (chunk,)
    exp_avg_sq_.push_back(torch::zeros_like(sync_.grad_shard(b)));
  }
}

torch::Tensor ShardedAdamW::clip_grad_norm_device(double max_norm) {
  torch::NoGradGuard no_grad;
  // Σ ||chunk||² over the owned chunks and the ranks, on the device: per-chunk
  // fp32 norms (as clip_grad_norm_ takes per-tensor ones, no fp64 copy of the
  // gradients), squared and summed in fp64, all-reduced as a tensor. Padding
  // and unused parameters are zeros in the shards.
  std::vector<torch::Tensor> shards;
  for (int64_t b = 0; b < sync_.num_buckets(); ++b) shards.push_back(sync_.grad_shard(b));
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64)
                 .device(exp_avg_.empty() ? torch::kCPU : exp_avg_[0].device());
  torch::Tensor sq = torch::zeros({1}, f64);  // (1)
  if (!shards.empty())
    sq += torch::stack(at::_foreach_norm(shards, 2)).to(torch::kFloat64).square().sum();
  dist_->all_reduce_sum(sq);
  torch::Tensor norm = sq.sqrt().squeeze(0);  // ()
  if (std::isfinite(max_norm) && !shards.empty()) {
    // as torch.nn.utils.clip_grad_norm_: min(1, max_norm / (norm + 1e-6))
    auto coef = torch::clamp(max_norm / (norm + 1e-6), std::nullopt, 1.0).to(shards[0].scalar_type());
    at::_foreach_mul_(shards, coef);
  }
  return norm;
}

void ShardedAdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++t_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bias1 = 1.0 - std::pow(b1, static_cast<double>(t_));
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(b2, static_cast<double>(t_)));
  const double step_size = lr / bias1;
  for (const Piece& pc : pieces_) {
    if (!sync_.grad_used(pc.slot)) continue;
    torch::Tensor g = sync_.grad_shard(pc.bucket).narrow(0, pc.chunk_offset, pc.numel);
    torch::Tensor m = exp_avg_[pc.bucket].narrow(0, pc.chunk_offset, pc.numel);
    torch::Tensor v = exp_avg_sq_[pc.bucket].narrow(0, pc.chunk_offset, pc.numel);
    torch::Tensor p = params_[pc.param].second.view({-1}).narrow(0, pc.param_offset, pc.numel);
    m.lerp_(g, 1.0 - b1);  // the update of AdamW::step, on this piece
    v.mul_(b2).addcmul_(g, g, 1.0 - b2);
    if (decay_[pc.param] && options_.weight_decay > 0) p.mul_(1.0 - lr * options_.weight_decay);
    auto denom = (v.sqrt() / bias2_sqrt).add_(options_.eps);
    p.addcdiv_(m, denom, -step_size);
  }
  all_gather_weights();
}

// Bucket by bucket, the next one in flight while the last one is copied out.
void ShardedAdamW::all_gather_weights() {
  torch::NoGradGuard no_grad;
  const int64_t nb = sync_.num_buckets(), w = dist_->world_size();
  std::vector<std::vector<int64_t>> params_in(nb), pieces_in(nb);
  for (size_t i = 0; i < params_.size(); ++i) params_in[sync_.slot_bucket(slot_of_[i])].push_back(i);
  for (size_t k = 0; k < pieces_.size(); ++k) pieces_in[pieces_[k].bucket].push_back(k);
  struct InFlight {
    torch::Tensor mine, full;
    std::unique_ptr<DistWork> work;
  };
  // The gradients are spent: ZeRO-2 sends from its gradient shard, ZeRO-1
  // gathers into its bucket (whose zero padding stays zero: `mine` is zeros there).
  auto launch = [&](int64_t b) {
    InFlight f;
    const bool zero2 = sync_.mode() == ShardMode::gradients;
    f.mine = zero2 ? sync_.grad_shard(b) : torch::zeros_like(exp_avg_[b]);  // (chunk,)
    for (int64_t k : pieces_in[b]) {
      const Piece& pc = pieces_[k];
      f.mine.narrow(0, pc.chunk_offset, pc.numel)
          .copy_(params_[pc.param].second.view({-1}).narrow(0, pc.param_offset, pc.numel));
    }
    f.full = zero2 ? torch::empty({w * f.mine.numel()}, f.mine.options())  // (W·chunk,)
                   : sync_.bucket_buffer(b);
    f.work = dist_->all_gather_async(f.full, f.mine);
    return f;
  };
  auto land = [&](int64_t b, InFlight& f) {
    f.work->wait();
    for (int64_t i : params_in[b]) {
      torch::Tensor p = params_[i].second;
      p.view({-1}).copy_(f.full.narrow(0, sync_.slot_offset(slot_of_[i]), p.numel()));
    }
  };
  InFlight prev;
  for (int64_t b = 0; b < nb; ++b) {
    InFlight cur = launch(b);
    if (b > 0) land(b - 1, prev);
    prev = std::move(cur);
  }
  if (nb > 0) land(nb - 1, prev);
}

void ShardedAdamW::zero_grad() {
  for (auto& [name, p] : params_) p.mutable_grad() = torch::Tensor();
}

std::vector<std::pair<std::string, torch::Tensor>> ShardedAdamW::state_tensors() {
  torch::NoGradGuard no_grad;
  const int64_t w = dist_->world_size();
  std::vector<torch::Tensor> m_full(params_.size()), v_full(params_.size());
  for (int64_t b = 0; b < sync_.num_buckets(); ++b) {
    auto m = torch::empty({w * exp_avg_[b].numel()}, exp_avg_[b].options());  // (W·chunk,)
    auto v = torch::empty_like(m);
    auto wm = dist_->all_gather_async(m, exp_avg_[b]);
    auto wv = dist_->all_gather_async(v, exp_avg_sq_[b]);
    wm->wait();
    wv->wait();
    if (!dist_->is_main()) continue;
    for (size_t i = 0; i < params_.size(); ++i) {
      const int64_t s = slot_of_[i];
      if (sync_.slot_bucket(s) != b) continue;
      const auto& p = params_[i].second;
      // To the CPU now: the device holds only this bucket's gathered state.
      m_full[i] = m.narrow(0, sync_.slot_offset(s), p.numel()).view(p.sizes())
                      .to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true);
      v_full[i] = v.narrow(0, sync_.slot_offset(s), p.numel()).view(p.sizes())
                      .to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true);
    }
  }
  std::vector<std::pair<std::string, torch::Tensor>> out;
  if (!dist_->is_main()) return out;
  for (size_t i = 0; i < params_.size(); ++i) {  // the order of AdamW::state_tensors()
    out.emplace_back("exp_avg/" + params_[i].first, m_full[i]);
    out.emplace_back("exp_avg_sq/" + params_[i].first, v_full[i]);
  }
  return out;
}

void ShardedAdamW::load_state(const std::map<std::string, torch::Tensor>& tensors,
                              int64_t steps) {
  torch::NoGradGuard no_grad;
  auto full = [&](const std::string& key, const torch::Tensor& p) {
    auto it = tensors.find(key);
    CROSSOVER_CHECK(it != tensors.end(), "optimizer state has no tensor '", key,
                    "' (hint: was the checkpoint written by a different model config?)");
    CROSSOVER_CHECK(it->second.sizes() == p.sizes(), "optimizer tensor '", key, "' has shape ",
                    it->second.sizes(), ", expected ", p.sizes());
    return it->second.reshape({-1});
  };
  for (const auto& [name, p] : params_) {  // every key, even those other ranks own
    full("exp_avg/" + name, p);
    full("exp_avg_sq/" + name, p);
  }
  for (const Piece& pc : pieces_) {
    const auto& [name, p] = params_[pc.param];
    exp_avg_[pc.bucket].narrow(0, pc.chunk_offset, pc.numel)
        .copy_(full("exp_avg/" + name, p).narrow(0, pc.param_offset, pc.numel));
    exp_avg_sq_[pc.bucket].narrow(0, pc.chunk_offset, pc.numel)
        .copy_(full("exp_avg_sq/" + name, p).narrow(0, pc.param_offset, pc.numel));
  }
  t_ = steps;
}

OptimizerBytes ShardedAdamW::held_bytes() const {
  OptimizerBytes b;
  for (const auto& [name, p] : params_) {
    b.weights += p.nbytes();
    if (p.grad().defined()) b.grads += p.grad().nbytes();  // ZeRO-1 accumulates here
  }
  b.grad_buffers = sync_.held_bytes();
  for (size_t k = 0; k < exp_avg_.size(); ++k)
    b.state += exp_avg_[k].nbytes() + exp_avg_sq_[k].nbytes();
  return b;
}

}  // namespace crossover
