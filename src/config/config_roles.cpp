// config_roles.cpp — the role of every config key (config_roles.h says what
// the roles mean and who uses them) and the per-key difference of two configs.
#include "crossover/config/config_roles.h"

#include <cstdio>
#include <cstdlib>
#include <map>

#include "crossover/util/check.h"

namespace crossover {
namespace {

constexpr ConfigRole S = ConfigRole::kScience;
constexpr ConfigRole V = ConfigRole::kVariant;
constexpr ConfigRole C = ConfigRole::kCadence;
constexpr ConfigRole R = ConfigRole::kRuntime;

// One row per key of config.h, in its order. Why a key has its role, where it
// is not obvious, is said beside it.
const std::vector<ConfigKeyRole> kRoles = {
    {"run.name", R},  // where the run lives, not what it is
    {"run.dir", R},
    {"run.seed", S},  // initialisation and data order
    {"runtime.device", R},
    {"runtime.threads", R},
    {"runtime.log_level", R},
    {"runtime.precision", R},  // bf16 autocast: same experiment, other rounding
    {"runtime.deterministic", R},
    {"runtime.tf32", R},  // TF32 fp32 matmuls on CUDA: same experiment, other rounding
    {"model.vocab_size", S},
    {"model.d_model", S},
    {"model.n_layers", S},
    {"model.n_heads", S},
    {"model.n_kv_heads", S},
    {"model.d_ff", S},
    {"model.max_seq_len", S},
    {"model.rope_theta", S},
    {"model.norm_eps", S},
    {"model.qk_norm", S},
    {"model.bias", S},
    {"model.tie_embeddings", S},
    {"model.init_std", S},
    {"model.dropout_embed", V},  // parameter noise: a variant compared within an experiment
    {"model.dropout_attn", V},
    {"model.dropout_resid", V},
    {"model.moe_experts", S},
    {"model.moe_top_k", S},
    {"model.moe_aux_coef", S},
    {"model.moe_z_coef", S},
    {"model.activation_checkpointing", R},  // recomputes the same activations
    {"model.checkpoint_every", R},
    {"objective.kind", V},
    {"objective.mask_eps", V},
    {"objective.t_sampling", V},
    {"objective.weighting", V},
    {"objective.short_seq_prob", V},
    {"objective.input_noise", V},
    {"objective.block_size", V},
    {"objective.t_min", V},
    {"objective.t_max", V},
    {"data.path", S},
    {"data.val_path", S},
    {"data.seq_len", S},
    {"data.unique_tokens", S},
    {"data.subset_seed", S},
    {"data.shuffle", S},
    {"train.total_tokens", S},  // the budget D; the LR schedule spans it
    {"train.batch_size", S},
    {"train.micro_batch_size", R},  // splits the same global batch (sums in another order)
    {"train.optimizer", S},
    {"train.lr", S},
    {"train.lr_schedule", S},
    {"train.lr_warmup_steps", S},
    {"train.lr_min_ratio", S},
    {"train.lr_decay_frac", S},
    {"train.weight_decay", S},
    {"train.beta1", S},
    {"train.beta2", S},
    {"train.adam_eps", S},
    {"train.decay_embeddings", S},
    {"train.grad_clip", S},
    {"train.loss_chunk_tokens", R},  // rows per chunk of the LM head's loss: same sum, less memory
    {"train.log_every", C},
    {"train.eval_every", C},
    {"train.eval_each_epoch", C},
    {"train.eval_every_epochs", C},
    {"train.eval_late_after_epochs", C},
    {"train.eval_late_every_epochs", C},
    {"train.ckpt_each_eval", C},
    {"train.ckpt_every", C},
    {"train.ckpt_keep", C},
    {"train.ckpt_each_epoch", C},
    {"train.nan_policy", R},  // what to do on a failure, not what is trained
    {"train.max_nan_skips", R},
    {"train.peak_flops", R},  // only the MFU column
    {"train.tensorboard", C},  // another copy of the same rows
    {"eval.val_tokens", S},  // the validation set: curves must stay comparable
    {"eval.val_windows", S},
    {"eval.val_batch_size", R},  // masks and t are fixed per window, not per batch
    {"eval.mc_samples", S},
    {"eval.tasks", S},
    {"eval.task_mc_samples", S},
    {"eval.task_mc", S},  // fixed or adaptive Monte Carlo: another estimator of the same score
    {"eval.task_mc_min", S},
    {"eval.task_mc_round", S},
    {"eval.task_mc_z", S},
    {"eval.task_limit", S},
    {"eval.codegen", S},
    {"eval.codegen_limit", S},
    {"eval.codegen_samples", S},
    {"dist.backend", R},
    {"dist.timeout_s", R},
    {"dist.bucket_mb", R},
    {"dist.shard", R},  // ZeRO: the same update, other memory layout
    {"dist.grad_dtype", R},  // bf16 gradient communication: same experiment, other rounding
};

// Shortest text that reads back as the same double (as the YAML writer does).
std::string double_text(double d) {
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, d);
    if (std::strtod(buf, nullptr) == d) return buf;
  }
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

// Every key with its value as text, in declaration order.
class ValueCollector : public ConfigVisitor {
 public:
  std::vector<std::pair<std::string, std::string>> out;
  void field(const std::string& k, int64_t& v, const FieldSpec&) override {
    out.emplace_back(k, str_cat(v));
  }
  void field(const std::string& k, double& v, const FieldSpec&) override {
    out.emplace_back(k, double_text(v));
  }
  void field(const std::string& k, bool& v, const FieldSpec&) override {
    out.emplace_back(k, v ? "true" : "false");
  }
  void field(const std::string& k, std::string& v, const FieldSpec&) override {
    out.emplace_back(k, v.empty() ? "\"\"" : v);
  }
  void field(const std::string& k, std::vector<std::string>& v, const FieldSpec&) override {
    out.emplace_back(k, "[" + str_join(v, ", ") + "]");
  }
};

std::vector<std::pair<std::string, std::string>> config_values(const Config& c) {
  Config copy = c;
  ValueCollector v;
  visit_config(copy, v);
  return v.out;
}

}  // namespace

const char* config_role_name(ConfigRole r) {
  switch (r) {
    case ConfigRole::kScience: return "science";
    case ConfigRole::kVariant: return "variant";
    case ConfigRole::kCadence: return "cadence";
    case ConfigRole::kRuntime: return "runtime";
  }
  return "?";
}

const std::vector<ConfigKeyRole>& config_key_roles() { return kRoles; }

ConfigRole config_role(const std::string& key) {
  static const std::map<std::string, ConfigRole> by_key = [] {
    std::map<std::string, ConfigRole> m;
    for (const auto& r : kRoles) m[r.key] = r.role;
    return m;
  }();
  auto it = by_key.find(key);
  CROSSOVER_CHECK(it != by_key.end(), "config key '", key, "' has no role in config_roles.cpp",
                  " (hint: every key of config.h needs one row there)");
  return it->second;
}

bool config_role_defines_run(ConfigRole r) {
  return r == ConfigRole::kScience || r == ConfigRole::kVariant;
}

std::vector<ConfigChange> config_changes(const Config& before, const Config& after) {
  const auto a = config_values(before), b = config_values(after);
  std::vector<ConfigChange> out;
  for (size_t i = 0; i < a.size(); ++i)  // the same visitor: the same keys in the same order
    if (a[i].second != b[i].second)
      out.push_back({a[i].first, a[i].second, b[i].second, config_role(a[i].first)});
  return out;
}

std::string describe_config_changes(const std::vector<ConfigChange>& changes, size_t limit) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < changes.size() && i < limit; ++i)
    parts.push_back(str_cat(changes[i].key, ": ", changes[i].before, " -> ", changes[i].after));
  if (changes.size() > limit) parts.push_back(str_cat("... (", changes.size() - limit, " more)"));
  return str_join(parts, ", ");
}

}  // namespace crossover
