// plan.cpp — `crossover plan`: memory (weights, optimizer, activations) and compute of a
// config before any run, per rank, with the sharding and precision it names.
#include "crossover/train/plan.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crossover/model/swiglu.h"
#include "crossover/util/check.h"
#include "crossover/util/device_info.h"
#include "crossover/util/runtime.h"

namespace crossover {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// Plan::memory's first index: ShardMode none / optimizer / gradients.
int shard_index(ShardMode shard) { return static_cast<int>(shard); }
const std::string& shard_name(int index) { return choice_name(static_cast<ShardMode>(index)); }

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), bytes >= 10 * kGiB ? "%.0f GiB" : "%.2f GiB", bytes / kGiB);
  return buf;
}

}  // namespace

int64_t loss_chunk_tokens(const Config& cfg) { return cfg.train.loss_chunk_tokens; }
bool bf16_grad_buckets(const Config& cfg) { return cfg.dist.grad_dtype == GradDtype::kBf16; }

DeviceSpec device_spec(const std::string& name, Precision precision) {
  DeviceSpec d;
  d.name = name;
  if (name == "h100" || name == "h200" || name == "a100") {
    d.memory_bytes = (name == "h200" ? 141.0 : 80.0) * 1e9;  // HBM as sold (decimal GB)
    const double bf16_peak = name == "a100" ? 312e12 : 989e12;
    d.bf16 = precision != Precision::kFp32;
    d.peak_flops = d.bf16 ? bf16_peak : bf16_peak / 2;
    d.runtime_bytes = kGiB;
  } else if (name == "cpu") {
    d.memory_bytes = available_memory_bytes(torch::kCPU);
    d.peak_flops = static_cast<double>(hardware_threads()) * 2.5e9 * 32.0;  // as device_info.h
    d.runtime_bytes = 20.0 * 1024 * 1024;
  } else {
    throw UsageError(str_cat("--gpu '", name, "': expected h100, h200, a100 or cpu"));
  }
  return d;
}

double activation_bytes(const Config& cfg, int64_t vocab, int64_t micro, bool bf16, bool ckpt) {
  const auto& m = cfg.model;
  const double s = bf16 ? 2.0 : 4.0;
  // bd3 rows hold x_t and x_0: every activation is 2T long.
  const double halves = cfg.objective.kind == ObjectiveKind::kBd3 ? 2.0 : 1.0;
  const double C = static_cast<double>(m.d_model), T = halves * static_cast<double>(cfg.data.seq_len);
  const double H = static_cast<double>(m.n_heads);
  const double KV = static_cast<double>(m.n_kv_heads > 0 ? m.n_kv_heads : m.n_heads);
  const double D = C / H, F = static_cast<double>(swiglu_hidden_dim(m.d_model, m.d_ff));
  const double V = static_cast<double>(m.vocab_size > 0 ? m.vocab_size : vocab);
  // Elements saved per token by one block (see plan.h).
  double attn = 2 * C + (H + 2 * KV) * D + (m.qk_norm ? (H + KV) * D : 0) + 3 * H * D + H * D;
  // SwiGLU: the gate/up output (2F), silu(gate) (F) and the product (F).
  double ffn = 2 * C + 4 * F;
  if (m.moe_experts > 0) ffn = 2 * C + static_cast<double>(m.moe_top_k) * 4 * F + static_cast<double>(m.moe_experts);
  double layer = s * (attn + ffn);
  if (m.dropout_attn > 0) layer += H * T * (2 * s + 1);  // probabilities, dropped copy, mask
  if (m.dropout_resid > 0) layer += 2 * C;              // two bool masks
  const double L = static_cast<double>(m.n_layers);
  const double rows = static_cast<double>(micro) * T;
  const double chunk = loss_chunk_tokens(cfg) > 0
                           ? std::min(rows, static_cast<double>(loss_chunk_tokens(cfg))) : rows;
  const double logits = (bf16 ? 14.0 : 12.0) * V * chunk;  // one chunk's logits at a time
  const double head = s * 3 * C;
  double per_token;
  if (ckpt) {
    const double every = static_cast<double>(std::max<int64_t>(m.checkpoint_every, 1));
    const double kept = std::floor((L + every - 1) / every);  // checkpointed blocks keep their input
    per_token = kept * s * C + (L - kept) * layer + layer + head;
  } else {
    per_token = L * layer + head;
  }
  return rows * per_token + logits;
}

ParamShapes param_shapes(const ModelConfig& m, int64_t vocab) {
  const double C = static_cast<double>(m.d_model);
  const double V = static_cast<double>(m.vocab_size > 0 ? m.vocab_size : vocab);
  const double H = static_cast<double>(m.n_heads);
  const double KV = static_cast<double>(m.n_kv_heads > 0 ? m.n_kv_heads : m.n_heads);
  const double D = C / H, F = static_cast<double>(swiglu_hidden_dim(m.d_model, m.d_ff));
  const double L = static_cast<double>(m.n_layers);
  const ModelSize z = model_size(m, vocab);
  ParamShapes p;
  // Everything but the norms (RMSNorm gains) and an untied embedding table
  // (looked up, not multiplied; a tied one is also the head's matmul weight).
  const double norms = L * (2 * C + (m.qk_norm ? 2 * D : 0)) + C;
  p.matmul = z.total - norms - (m.tie_embeddings ? 0 : V * C);
  p.largest = std::max({V * C, C * (H + 2 * KV) * D, H * D * C, 2 * F * C, F * C,
                        C * static_cast<double>(m.moe_experts)});
  return p;
}

MemoryPlan state_memory(const Config& cfg, int64_t vocab, int64_t world, int shard, bool bf16) {
  const double P = model_size(cfg.model, vocab).total, W = static_cast<double>(world);
  const ParamShapes ps = param_shapes(cfg.model, vocab);
  if (world == 1) shard = 0;  // the trainer ignores dist.shard at world 1
  const double g = bf16_grad_buckets(cfg) ? 2.0 : 4.0;  // bucket bytes per element
  MemoryPlan mp;
  mp.weights = 4 * P;
  mp.weight_copies = bf16 ? 2 * ps.matmul : 0;
  mp.gradients = shard == 2 ? 4 * ps.largest : 4 * P;
  if (world > 1) {
    if (shard == 0) mp.grad_buffers = g * P;
    if (shard == 1) mp.grad_buffers = 4 * P;
    if (shard == 2) {
      const double bucket = cfg.dist.bucket_mb * 1024 * 1024 / 4;  // elements (fp32 parameters)
      const double in_flight = std::min(P, 2 * std::max(bucket, ps.largest));
      mp.grad_buffers = 4 * P / W + g * in_flight + (g < 4 ? g * in_flight / W : 0);
    }
  }
  mp.optimizer = shard >= 1 ? 8 * P / W : 8 * P;
  return mp;
}

Plan make_plan(const Config& cfg, int64_t vocab, int64_t gpus, const DeviceSpec& device,
               double mfu, ShardMode shard) {
  CROSSOVER_CHECK(gpus >= 1, "--gpus must be >= 1");
  if (cfg.train.batch_size % gpus != 0)
    throw UsageError(str_cat("train.batch_size=", cfg.train.batch_size, " is not a multiple of --gpus ", gpus));
  Plan p;
  p.size = model_size(cfg.model, vocab);
  // Per target token: bd3's layers see 2T positions (x_t | x_0) per T targets.
  const int64_t mult = cfg.objective.kind == ObjectiveKind::kBd3 ? 2 : 1;
  p.bd3 = mult == 2;
  p.flops_per_token = mult * model_flops_per_token(cfg.model, vocab, mult * cfg.data.seq_len);
  p.gpus = gpus;
  p.device = device;
  p.mfu = mfu;
  p.chosen_shard = shard_index(shard);
  p.chosen_ckpt = cfg.model.activation_checkpointing == "blocks";
  const int64_t per_rank = cfg.train.batch_size / gpus;
  p.micro_batch = cfg.train.micro_batch_size > 0 ? std::min(cfg.train.micro_batch_size, per_rank) : per_rank;
  const double W = static_cast<double>(gpus);
  for (int sh = 0; sh < 3; ++sh)
    for (int ck = 0; ck < 2; ++ck) {
      MemoryPlan& mp = p.memory[sh][ck];
      mp = state_memory(cfg, vocab, gpus, sh, device.bf16);
      mp.activations = activation_bytes(cfg, vocab, p.micro_batch, device.bf16, ck == 1);
      mp.runtime = device.runtime_bytes;
    }
  p.step_tokens = static_cast<double>(cfg.train.batch_size * cfg.data.seq_len);
  // Checkpointing replays the forward (1/3 of a step's work) of the
  // checkpointed blocks: every k-th of L blocks adds (ceil(L/k)/L)/3.
  const double L = static_cast<double>(cfg.model.n_layers);
  const double every = static_cast<double>(std::max<int64_t>(cfg.model.checkpoint_every, 1));
  const double recompute = p.chosen_ckpt ? 1.0 + std::floor((L + every - 1) / every) / L / 3.0 : 1.0;
  const double step_flops = p.flops_per_token * recompute * p.step_tokens;
  p.step_time_s = step_flops / (W * device.peak_flops * mfu);
  p.tokens_per_s = p.step_tokens / p.step_time_s;
  p.gpu_hours = static_cast<double>(cfg.train.total_tokens) / p.tokens_per_s * W / 3600.0;
  return p;
}

std::string plan_report(const Plan& p, const std::string& title) {
  std::ostringstream o;
  o << title << "\n";
  o << "  parameters: " << human_count(p.size.total) << " total, " << human_count(p.size.active)
    << " active, " << human_count(p.size.nonembed()) << " non-embedding\n";
  o << "  FLOPs/token: " << human_count(p.flops_per_token) << " (6 N + 12 L C T"
    << (p.bd3 ? "; bd3: 2 x that at 2T, x_t and x_0 side by side)\n" : ")\n");
  o << "  device: " << p.gpus << " x " << p.device.name << " (" << gib(p.device.memory_bytes)
    << ", peak " << human_count(p.device.peak_flops) << "FLOP/s" << (p.device.bf16 ? " bf16" : " fp32")
    << "); micro-batch " << p.micro_batch << " rows per rank\n";
  o << "  per rank:   shard      ckpt    weights     bf16 copy   grads       grad bufs   optim       activations total       fits (<= "
    << static_cast<int>(p.usable_fraction * 100) << "%)\n";
  for (int sh = 0; sh < 3; ++sh)
    for (int ck = 0; ck < 2; ++ck) {
      const MemoryPlan& m = p.memory[sh][ck];
      char line[320];
      std::snprintf(line, sizeof(line), "  %s %-10s %-7s %-11s %-11s %-11s %-11s %-11s %-11s %-11s %s\n",
                    sh == p.chosen_shard && (ck == 1) == p.chosen_ckpt ? "->" : "  ", shard_name(sh).c_str(),
                    ck ? "blocks" : "none", gib(m.weights).c_str(), gib(m.weight_copies).c_str(),
                    gib(m.gradients).c_str(), gib(m.grad_buffers).c_str(),
                    gib(m.optimizer).c_str(), gib(m.activations).c_str(), gib(m.total()).c_str(),
                    p.fits(sh, ck == 1) ? "yes" : "no");
      o << line;
    }
  o << "  the config's choice (->): " << (p.fits(p.chosen_shard, p.chosen_ckpt) ? "fits" : "DOES NOT FIT") << "\n";
  char tail[256];
  std::snprintf(tail, sizeof(tail), "  at MFU %.0f%%: %.3g s/step, %s tokens/s, %.4g GPU-hours for the run\n",
                p.mfu * 100, p.step_time_s, human_count(p.tokens_per_s).c_str(), p.gpu_hours);
  o << tail;
  return o.str();
}

std::string plan_json(const Plan& p) {
  nlohmann::ordered_json j;
  j["params"] = p.size.total;
  j["params_active"] = p.size.active;
  j["flops_per_token"] = p.flops_per_token;
  j["gpus"] = p.gpus;
  j["device"] = {{"name", p.device.name}, {"memory_bytes", p.device.memory_bytes},
                 {"peak_flops", p.device.peak_flops}, {"bf16", p.device.bf16}};
  j["micro_batch"] = p.micro_batch;
  for (int sh = 0; sh < 3; ++sh)
    for (int ck = 0; ck < 2; ++ck) {
      const MemoryPlan& m = p.memory[sh][ck];
      j["memory"][shard_name(sh)][ck ? "blocks" : "none"] = {
          {"weights", m.weights}, {"weight_copies", m.weight_copies}, {"gradients", m.gradients},
          {"grad_buffers", m.grad_buffers}, {"optimizer", m.optimizer},
          {"activations", m.activations}, {"runtime", m.runtime}, {"total", m.total()}, {"fits", p.fits(sh, ck == 1)}};
    }
  j["chosen"] = {{"shard", shard_name(p.chosen_shard)}, {"ckpt", p.chosen_ckpt ? "blocks" : "none"},
                 {"fits", p.fits(p.chosen_shard, p.chosen_ckpt)}};
  j["mfu"] = p.mfu;
  j["step_time_s"] = p.step_time_s;
  j["tokens_per_s"] = p.tokens_per_s;
  j["gpu_hours"] = p.gpu_hours;
  return j.dump();
}

std::string plan_row(const Plan& p, const std::string& name) {
  const MemoryPlan& m = p.memory[p.chosen_shard][p.chosen_ckpt ? 1 : 0];
  char buf[320];
  std::snprintf(buf, sizeof(buf), "%-40s %9s params  %11s/rank  %-3s  %9s tok/s  %10.4g GPU-h",
                name.c_str(), human_count(p.size.total).c_str(), gib(m.total()).c_str(),
                p.fits(p.chosen_shard, p.chosen_ckpt) ? "fit" : "NO", human_count(p.tokens_per_s).c_str(),
                p.gpu_hours);
  return buf;
}

}  // namespace crossover
