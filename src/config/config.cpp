// config.cpp — the typed config: every key's validator and default (Validator fields),
// the cross-key checks (validate_config) and the settings list report and sweep read.
#include "crossover/config/config.h"

#include "crossover/util/check.h"

namespace crossover {
namespace {

FieldSpec range(double lo, double hi) {
  FieldSpec s;
  s.min = lo;
  s.max = hi;
  return s;
}
FieldSpec at_least(double lo) { return range(lo, 1e300); }
FieldSpec unit() { return range(0.0, 1.0); }
FieldSpec one_of(std::vector<std::string> choices) {
  FieldSpec s;
  s.choices = std::move(choices);
  return s;
}
FieldSpec auto_range(double lo, double hi) {
  FieldSpec s = range(lo, hi);
  s.allow_auto = true;
  return s;
}
const FieldSpec kAny;

// A choice key (config/choices.h): visited as its name, checked against the
// table by the visitor that reads it, held as the enum. The key must be the table's.
template <class E>
void choice(ConfigVisitor& v, const std::string& key, E& value) {
  CROSSOVER_CHECK(key == Choices<E>::key, "choice key ", key, " is not ", Choices<E>::key);
  std::string name = choice_name(value);
  v.field(key, name, one_of(choice_names<E>()));
  value = parse_choice<E>(name);
}

// Upper bounds far beyond any model crossover is meant for (the paper's 8B has
// d_model 4096, T 2048); they keep every size product well inside int64.
constexpr double kMaxWidth = 1 << 17;
constexpr double kMaxSeqLen = 1 << 20;
constexpr double kMaxBatch = 1 << 24;
constexpr double kMaxVocab = 1 << 24;

}  // namespace

void visit_config(Config& c, ConfigVisitor& v) {
  v.field("run.name", c.run.name, kAny);
  v.field("run.dir", c.run.dir, kAny);
  v.field("run.seed", c.run.seed, at_least(0));

  v.field("runtime.device", c.runtime.device, one_of({"auto", "cpu", "cuda"}));
  v.field("runtime.threads", c.runtime.threads, auto_range(0, 4096));
  v.field("runtime.log_level", c.runtime.log_level,
          one_of({"trace", "debug", "info", "warn", "error", "off"}));
  choice(v, "runtime.precision", c.runtime.precision);
  v.field("runtime.deterministic", c.runtime.deterministic, kAny);
  v.field("runtime.tf32", c.runtime.tf32, kAny);

  auto& m = c.model;
  v.field("model.vocab_size", m.vocab_size, auto_range(0, kMaxVocab));
  v.field("model.d_model", m.d_model, range(1, kMaxWidth));
  v.field("model.n_layers", m.n_layers, range(1, 4096));
  v.field("model.n_heads", m.n_heads, range(1, 4096));
  v.field("model.n_kv_heads", m.n_kv_heads, auto_range(0, 4096));
  v.field("model.d_ff", m.d_ff, auto_range(0, 4 * kMaxWidth));
  v.field("model.max_seq_len", m.max_seq_len, range(1, kMaxSeqLen));
  v.field("model.rope_theta", m.rope_theta, range(1.0, 1e12));
  v.field("model.norm_eps", m.norm_eps, range(0.0, 1.0));
  v.field("model.qk_norm", m.qk_norm, kAny);
  v.field("model.bias", m.bias, kAny);
  v.field("model.tie_embeddings", m.tie_embeddings, kAny);
  v.field("model.init_std", m.init_std, range(0.0, 10.0));
  v.field("model.dropout_embed", m.dropout_embed, range(0.0, 0.99));
  v.field("model.dropout_attn", m.dropout_attn, range(0.0, 0.99));
  v.field("model.dropout_resid", m.dropout_resid, range(0.0, 0.99));
  v.field("model.moe_experts", m.moe_experts, range(0, 4096));
  v.field("model.moe_top_k", m.moe_top_k, range(1, 4096));
  v.field("model.moe_aux_coef", m.moe_aux_coef, at_least(0));
  v.field("model.moe_z_coef", m.moe_z_coef, at_least(0));
  v.field("model.activation_checkpointing", m.activation_checkpointing, one_of({"none", "blocks"}));
  v.field("model.checkpoint_every", m.checkpoint_every, range(1, 4096));

  auto& o = c.objective;
  choice(v, "objective.kind", o.kind);
  v.field("objective.mask_eps", o.mask_eps, range(0.0, 0.5));
  choice(v, "objective.t_sampling", o.t_sampling);
  choice(v, "objective.weighting", o.weighting);
  v.field("objective.short_seq_prob", o.short_seq_prob, unit());
  v.field("objective.input_noise", o.input_noise, range(0.0, 0.99));
  v.field("objective.block_size", o.block_size, range(0, kMaxSeqLen));
  v.field("objective.t_min", o.t_min, unit());
  v.field("objective.t_max", o.t_max, unit());

  auto& d = c.data;
  v.field("data.path", d.path, kAny);
  v.field("data.val_path", d.val_path, kAny);
  v.field("data.seq_len", d.seq_len, range(2, kMaxSeqLen));
  v.field("data.unique_tokens", d.unique_tokens, at_least(0));
  v.field("data.subset_seed", d.subset_seed, at_least(0));
  choice(v, "data.shuffle", d.shuffle);

  auto& t = c.train;
  v.field("train.total_tokens", t.total_tokens, range(1, 1e16));
  v.field("train.batch_size", t.batch_size, range(1, kMaxBatch));
  v.field("train.micro_batch_size", t.micro_batch_size, auto_range(0, kMaxBatch));
  v.field("train.optimizer", t.optimizer, one_of({"adamw"}));
  v.field("train.lr", t.lr, range(0.0, 10.0));
  choice(v, "train.lr_schedule", t.lr_schedule);
  v.field("train.lr_warmup_steps", t.lr_warmup_steps, at_least(0));
  v.field("train.lr_min_ratio", t.lr_min_ratio, unit());
  v.field("train.lr_decay_frac", t.lr_decay_frac, unit());
  v.field("train.weight_decay", t.weight_decay, at_least(0));
  v.field("train.beta1", t.beta1, range(0.0, 0.999999));
  v.field("train.beta2", t.beta2, range(0.0, 0.999999));
  v.field("train.adam_eps", t.adam_eps, range(0.0, 1.0));
  v.field("train.decay_embeddings", t.decay_embeddings, kAny);
  v.field("train.grad_clip", t.grad_clip, at_least(0));
  v.field("train.loss_chunk_tokens", t.loss_chunk_tokens, at_least(0));
  v.field("train.log_every", t.log_every, at_least(1));
  v.field("train.eval_every", t.eval_every, at_least(0));
  v.field("train.eval_each_epoch", t.eval_each_epoch, kAny);
  v.field("train.eval_every_epochs", t.eval_every_epochs, at_least(0));
  v.field("train.eval_late_after_epochs", t.eval_late_after_epochs, at_least(0));
  v.field("train.eval_late_every_epochs", t.eval_late_every_epochs, at_least(0));
  v.field("train.ckpt_each_eval", t.ckpt_each_eval, kAny);
  v.field("train.ckpt_every", t.ckpt_every, at_least(0));
  v.field("train.ckpt_keep", t.ckpt_keep, at_least(1));
  v.field("train.ckpt_each_epoch", t.ckpt_each_epoch, kAny);
  choice(v, "train.nan_policy", t.nan_policy);
  v.field("train.max_nan_skips", t.max_nan_skips, at_least(0));
  v.field("train.peak_flops", t.peak_flops, at_least(0));
  v.field("train.tensorboard", t.tensorboard, kAny);

  auto& e = c.eval;
  v.field("eval.val_tokens", e.val_tokens, at_least(0));
  choice(v, "eval.val_windows", e.val_windows);
  v.field("eval.val_batch_size", e.val_batch_size, range(1, kMaxBatch));
  v.field("eval.mc_samples", e.mc_samples, range(1, 65536));
  v.field("eval.tasks", e.tasks, kAny);
  v.field("eval.task_mc_samples", e.task_mc_samples, range(1, 65536));
  choice(v, "eval.task_mc", e.task_mc);
  v.field("eval.task_mc_min", e.task_mc_min, range(1, 65536));
  v.field("eval.task_mc_round", e.task_mc_round, range(1, 65536));
  v.field("eval.task_mc_z", e.task_mc_z, range(0.1, 10.0));
  v.field("eval.task_limit", e.task_limit, at_least(0));
  v.field("eval.codegen", e.codegen, kAny);
  v.field("eval.codegen_limit", e.codegen_limit, at_least(0));
  v.field("eval.codegen_samples", e.codegen_samples, range(0, 1024));

  v.field("dist.backend", c.dist.backend, one_of({"auto", "gloo", "nccl"}));
  v.field("dist.timeout_s", c.dist.timeout_s, at_least(1));
  v.field("dist.bucket_mb", c.dist.bucket_mb, range(0.001, 1e6));
  choice(v, "dist.shard", c.dist.shard);
  choice(v, "dist.grad_dtype", c.dist.grad_dtype);
}

namespace {
class KeyCollector : public ConfigVisitor {
 public:
  std::vector<std::string> keys;
  void field(const std::string& k, int64_t&, const FieldSpec&) override { keys.push_back(k); }
  void field(const std::string& k, double&, const FieldSpec&) override { keys.push_back(k); }
  void field(const std::string& k, bool&, const FieldSpec&) override { keys.push_back(k); }
  void field(const std::string& k, std::string&, const FieldSpec&) override {
    keys.push_back(k);
  }
  void field(const std::string& k, std::vector<std::string>&, const FieldSpec&) override {
    keys.push_back(k);
  }
};
}  // namespace

std::vector<std::string> config_keys() {
  Config c;
  KeyCollector kc;
  visit_config(c, kc);
  return kc.keys;
}

void validate_config(const Config& c) {
  auto fail = [](const std::string& msg) { throw UsageError(str_cat("config: ", msg)); };
  // The run directory is <run.dir>/<run.name>; --overwrite and --resume delete
  // it, so the name must not reach a sibling or the parent.
  const std::string& name = c.run.name;
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    fail(str_cat("run.name='", name, "' must be one plain folder name (not empty, no '/', not "
                 "'.' or '..'); hint: set run.dir for the parent folder"));
  if (c.run.dir.empty()) fail("run.dir is empty; hint: '.' for the current folder");
  const auto& o = c.objective;
  if (o.kind == ObjectiveKind::kMdm && o.weighting == Weighting::kInvT && o.mask_eps <= 0)
    fail(str_cat("objective.mask_eps=", o.mask_eps, " with weighting inv_t divides by t -> 0 ",
                 "(non-finite losses); hint: mask_eps >= 1e-3, or weighting: inv_realised"));
  if (c.train.lr <= 0)
    fail(str_cat("train.lr=", c.train.lr, " trains nothing; hint: a positive peak learning rate"));
  const auto& m = c.model;
  if (m.d_model % m.n_heads != 0)
    fail(str_cat("model.d_model=", m.d_model, " is not divisible by model.n_heads=", m.n_heads));
  if ((m.d_model / m.n_heads) % 2 != 0)
    fail(str_cat("head dim d_model/n_heads=", m.d_model / m.n_heads,
                 " must be even for RoPE; change model.d_model or model.n_heads"));
  int64_t kv = m.n_kv_heads == 0 ? m.n_heads : m.n_kv_heads;
  if (m.n_heads % kv != 0)
    fail(str_cat("model.n_heads=", m.n_heads, " is not divisible by model.n_kv_heads=", kv));
  if (m.moe_experts > 0 && m.moe_top_k > m.moe_experts)
    fail(str_cat("model.moe_top_k=", m.moe_top_k, " exceeds model.moe_experts=", m.moe_experts));
  if (c.data.seq_len > m.max_seq_len)
    fail(str_cat("data.seq_len=", c.data.seq_len, " exceeds model.max_seq_len=", m.max_seq_len));
  if (c.objective.kind != ObjectiveKind::kArNoise && c.objective.input_noise > 0)
    fail(str_cat("objective.input_noise=", c.objective.input_noise,
                 " only applies to objective.kind=ar_noise (got '", c.objective.kind, "')"));
  if (c.objective.kind == ObjectiveKind::kBd3) {
    if (c.objective.block_size < 1)
      fail("objective.kind=bd3 needs objective.block_size >= 1 (1 is AR, data.seq_len is mdm)");
    if (c.data.seq_len % c.objective.block_size != 0)
      fail(str_cat("data.seq_len=", c.data.seq_len, " is not divisible by objective.block_size=",
                   c.objective.block_size));
  } else if (c.objective.block_size != 0) {
    fail(str_cat("objective.block_size=", c.objective.block_size,
                 " only applies to objective.kind=bd3 (got '", c.objective.kind, "')"));
  }
  if (c.objective.t_min >= c.objective.t_max)
    fail(str_cat("objective.t_min=", c.objective.t_min, " must be below objective.t_max=",
                 c.objective.t_max));
  if (c.objective.kind != ObjectiveKind::kBd3 && (c.objective.t_min != 0.0 || c.objective.t_max != 1.0))
    fail(str_cat("objective.t_min/t_max clip the masking rate of objective.kind=bd3 only (got '",
                 c.objective.kind, "')"));
  const int64_t step_tokens = c.train.batch_size * c.data.seq_len;
  if (c.train.total_tokens < step_tokens)
    fail(str_cat("train.total_tokens=", c.train.total_tokens, " is less than one step of ",
                 "train.batch_size x data.seq_len = ", step_tokens, " tokens; hint: raise ",
                 "train.total_tokens or lower train.batch_size"));
  const auto& t = c.train;
  if (t.eval_late_after_epochs > 0 && (t.eval_every_epochs <= 0 || t.eval_late_every_epochs <= 0))
    fail(str_cat("train.eval_late_after_epochs=", t.eval_late_after_epochs, " needs ",
                 "train.eval_every_epochs > 0 and train.eval_late_every_epochs > 0 (got ",
                 t.eval_every_epochs, " and ", t.eval_late_every_epochs, ")"));
  if (t.eval_late_every_epochs > 0 && t.eval_late_after_epochs <= 0)
    fail(str_cat("train.eval_late_every_epochs=", t.eval_late_every_epochs, " has no effect without ",
                 "train.eval_late_after_epochs > 0"));
  if (c.train.micro_batch_size > 0 && c.train.batch_size % c.train.micro_batch_size != 0)
    fail(str_cat("train.batch_size=", c.train.batch_size,
                 " is not a multiple of train.micro_batch_size=", c.train.micro_batch_size));
  if (c.dist.grad_dtype == GradDtype::kBf16 && c.dist.shard == ShardMode::optimizer)
    fail("dist.grad_dtype=bf16 does not work with dist.shard=optimizer (its fp32 buckets also "
         "gather the weights); hint: dist.shard=gradients or none");
}

}  // namespace crossover
