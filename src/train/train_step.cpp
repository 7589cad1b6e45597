// train_step.cpp — one optimizer step: micro-batches through the objective and the model,
// the global-token loss scaling, gradient sync, clipping, the NaN policy and the update.
#include "crossover/train/train_step.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "crossover/distributed/data_parallel.h"
#include "crossover/distributed/grad_sync.h"
#include "crossover/distributed/dist.h"
#include "crossover/model/output_head.h"
#include "crossover/train/adamw.h"
#include "crossover/train/lr_schedule.h"
#include "crossover/train/plan.h"
#include "crossover/train/sharded_adamw.h"
#include "crossover/util/autocast.h"
#include "crossover/util/check.h"
#include "crossover/util/host_sync.h"
#include "crossover/util/log.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

double mib(int64_t bytes) { return std::round(static_cast<double>(bytes) / (1 << 20) * 10) / 10; }

// What each rank holds between steps under the chosen dist.shard.
void log_shard_bytes(const TrainState& st, ShardMode mode) {
  OptimizerBytes b = st.optim->held_bytes();
  if (st.grad_sync && mode == ShardMode::none) b.grad_buffers = st.grad_sync->held_bytes();
  const bool ignored = st.world_size == 1 && st.cfg.dist.shard != ShardMode::none;
  log_info(str_cat("dist.shard ", choice_name(mode),
                   ignored ? str_cat(" (", st.cfg.dist.shard, " needs world > 1)") : "",
                   ", world ", st.world_size, ": per rank ", mib(b.weights), " MiB weights, ",
                   mib(b.grad_buffers), " MiB gradient-sync buffers, ", mib(b.state),
                   " MiB AdamW state"));
}

// After a micro-batch's backward: the parts held now, kept at their maximum.
void note_held_bytes(TrainState& st) {
  OptimizerBytes now = st.optim->held_bytes();
  OptimizerBytes& pk = st.held_peak;
  pk.weights = std::max(pk.weights, now.weights);
  pk.grads = std::max(pk.grads, now.grads);
  pk.state = std::max(pk.state, now.state);
  if (st.grad_sync) {
    pk.grads = std::max(pk.grads, st.grad_sync->peak_grad_bytes());
    pk.grad_buffers = std::max(pk.grad_buffers, st.grad_sync->peak_bytes());
  }
}

}  // namespace

void StepScalars::add(const StepStats& s) {
  losses_.push_back(s.loss);
  steps_.push_back(s.step);
  if (s.grad_norm.defined()) grad_norm_ = s.grad_norm;
}

StepScalars::Readout StepScalars::read(Dist* dist, bool stop_local) {
  Readout r;
  const bool multi = dist && dist->enabled();
  torch::Device dev = multi ? dist->device()
                            : (losses_.empty() ? torch::Device(torch::kCPU) : losses_[0].device());
  // (n_steps + 2): the ranks' loss parts, the last grad norm / W (so the sum is
  // the norm: it is already global), the stop flag.
  std::vector<torch::Tensor> parts;
  for (auto& l : losses_) parts.push_back(l.to(dev, torch::kFloat64).reshape({1}));
  const double w = multi ? static_cast<double>(dist->world_size()) : 1.0;
  parts.push_back(grad_norm_.defined() ? (grad_norm_.to(dev, torch::kFloat64) / w).reshape({1})
                                       : torch::full({1}, last_norm_ / w, torch::TensorOptions().dtype(torch::kFloat64).device(dev)));
  parts.push_back(torch::full({1}, stop_local ? 1.0 : 0.0, torch::TensorOptions().dtype(torch::kFloat64).device(dev)));
  torch::Tensor all = torch::cat(parts);  // (n + 2)
  if (multi) dist->all_reduce_sum(all);
  all = all.cpu();
  count_host_sync();
  const double* v = all.data_ptr<double>();
  const size_t n = losses_.size();
  r.losses.assign(v, v + n);
  r.steps = steps_;
  r.grad_norm = last_norm_ = v[n];
  r.stop = v[n + 1] > 0;
  losses_.clear();
  steps_.clear();
  grad_norm_ = torch::Tensor();
  return r;
}

int64_t total_train_steps(const Config& cfg) {
  const int64_t per_step = cfg.train.batch_size * cfg.data.seq_len;
  return (cfg.train.total_tokens + per_step - 1) / per_step;
}

TrainState make_train_state(const Config& cfg, int64_t vocab_size, int64_t mask_id,
                            torch::Device device, std::shared_ptr<Dist> dist) {
  TrainState st;
  st.cfg = cfg;
  st.device = device;
  st.bf16 = device.is_cuda() && cfg.runtime.precision != Precision::kFp32;
  st.vocab_size = vocab_size;
  st.mask_id = mask_id;
  st.dist = std::move(dist);
  st.world_size = st.dist ? st.dist->world_size() : 1;
  st.rank = st.dist ? st.dist->rank() : 0;
  CROSSOVER_CHECK(cfg.train.batch_size % st.world_size == 0, "train.batch_size=",
                  cfg.train.batch_size, " is not divisible by the world size ", st.world_size,
                  " (hint: every rank takes an equal share of the global batch)");
  seed_global_generators(static_cast<uint64_t>(cfg.run.seed), "init");
  st.model = Transformer(transformer_options_from_config(cfg.model, vocab_size));
  st.model->to(device);
  st.objective = make_objective(cfg.objective, mask_id);
  std::vector<std::pair<std::string, torch::Tensor>> params;
  std::vector<std::string> no_decay;
  for (const auto& p : st.model->named_parameters(true)) {
    params.emplace_back(p.key(), p.value());
    const bool decay_anyway = cfg.train.decay_embeddings && is_embedding_param(p.key());
    if (is_no_decay_param(p.key()) && !decay_anyway) no_decay.push_back(p.key());
  }
  AdamWOptions o{cfg.train.beta1, cfg.train.beta2, cfg.train.adam_eps, cfg.train.weight_decay};
  const ShardMode shard =
      st.world_size > 1 ? cfg.dist.shard : ShardMode::none;
  if (st.world_size > 1) {
    broadcast_parameters(*st.model, *st.dist);
    std::vector<torch::Tensor> ps;
    for (auto& [n, p] : params) ps.push_back(p);
    st.grad_sync = std::make_unique<GradSync>(ps, st.dist, cfg.dist.bucket_mb, shard,
                                              bf16_grad_buckets(cfg));
  }
  if (shard != ShardMode::none)
    st.optim = std::make_unique<ShardedAdamW>(params, no_decay, o, *st.grad_sync, st.dist);
  else
    st.optim = std::make_unique<AdamW>(params, no_decay, o);
  log_shard_bytes(st, shard);
  return st;
}

StepStats train_step(TrainState& st, const torch::Tensor& tokens, int64_t step,
                     int64_t total_steps) {
  const auto& cfg = st.cfg;
  const uint64_t seed = static_cast<uint64_t>(cfg.run.seed);
  const int64_t b_local = tokens.size(0);
  const int64_t micro = cfg.train.micro_batch_size > 0
                            ? std::min(cfg.train.micro_batch_size, b_local)
                            : b_local;
  CROSSOVER_CHECK(b_local % micro == 0, "per-rank batch ", b_local,
                  " is not a multiple of train.micro_batch_size=", micro);
  const int64_t n_micro = b_local / micro;

  // The step-level draw (short sequence) is shared by all ranks.
  auto step_gen = make_generator(seed, "step", step);
  const int64_t T = tokens.size(1) - 1;
  const int64_t t_step = st.objective->step_seq_len(T, step_gen);
  const double n_global = static_cast<double>(b_local * st.world_size * t_step);

  st.model->train();
  st.optim->zero_grad();
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(st.device);
  torch::Tensor loss_acc = torch::zeros({}, f64);
  auto device_tokens = tokens.to(st.device, /*non_blocking=*/true);
  for (int64_t m = 0; m < n_micro; ++m) {
    if (st.grad_sync) st.grad_sync->arm(/*last=*/m == n_micro - 1);
    auto rows = device_tokens.narrow(0, m * micro, micro);  // (b, T+1)
    // Streams are keyed by the global micro-batch index, so a world-size-W run
    // draws the same masks/dropout for the same rows as a world-size-1 run
    // that splits the global batch into the same micro-batches. The masks are
    // drawn on the CPU, so the host knows how many positions each supervises
    // without reading the device (objective.h).
    const int64_t global_micro = st.rank * n_micro + m;
    auto gen = make_generator(seed, "mask", step, global_micro, 0, torch::kCPU);
    seed_global_generators(seed, "dropout", step, global_micro);
    ObjectiveBatch ob = st.objective->prepare(rows, t_step, gen);
    torch::Tensor loss;
    {
      AutocastScope autocast(st.bf16);
      torch::Tensor aux;
      auto hidden = transformer_hidden(*st.model, ob.inputs, ob.layout, &aux);  // (b, L, C)
      // head: supervised rows only, in chunks of loss_chunk_tokens() rows
      auto loss_sum = objective_loss_sum_hidden(*st.model, hidden, ob, loss_chunk_tokens(cfg));
      // MoE aux losses are per-micro-batch means: weight them by this
      // micro-batch's share of the global tokens.
      const double share = static_cast<double>(micro * t_step) / n_global;
      loss = loss_sum.to(torch::kFloat32) / n_global + aux.to(torch::kFloat32) * share;
    }
    loss.backward();
    if (st.grad_sync) st.grad_sync->end_micro_batch();
    note_held_bytes(st);
    loss_acc += loss.detach().to(torch::kFloat64);
  }
  if (st.grad_sync) st.grad_sync->finish();

  StepStats s;
  s.step = step;
  s.seq_len = t_step;
  s.lr = lr_at(cfg.train, step, total_steps);
  if (step == st.inject_nan_step) loss_acc = loss_acc + std::nan("");  // fault injection (tests)
  s.loss = loss_acc;
  if (cfg.train.nan_policy == NanPolicy::kSkip) {
    // Skipping needs the answer before the update: one read per step here
    // (nan_policy=stop reads every log_every steps and stops there).
    torch::Tensor global = loss_acc.reshape({1}).clone();
    if (st.world_size > 1) {
      global = global.to(st.dist->device());
      st.dist->all_reduce_sum(global);
    }
    s.loss_value = global.cpu().item<double>();
    count_host_sync();
    if (!std::isfinite(s.loss_value)) {
      s.skipped = true;
      st.optim->zero_grad();
      return s;
    }
  }
  const double clip = cfg.train.grad_clip > 0 ? cfg.train.grad_clip
                                              : std::numeric_limits<double>::infinity();
  s.grad_norm = st.optim->clip_grad_norm_device(clip);
  st.optim->step(s.lr);
  return s;
}

}  // namespace crossover
