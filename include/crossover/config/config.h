// config.h — the resolved configuration of a crossover run: plain structs that
// mirror the YAML sections of configs/base.yaml, field for field (C++ field
// names are the YAML keys).
//
// This header knows nothing about YAML; config/loader.h reads and writes it.
// Adding a key: add the field here with its default, add it to visit_config()
// in src/config/config.cpp, and document it in configs/base.yaml (a test checks
// that base.yaml and these defaults agree key for key).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crossover/config/choices.h"

namespace crossover {

struct RunConfig {
  std::string name = "run";       // run directory name under `dir`
  std::string dir = "runs";       // parent of run directories
  int64_t seed = 1234;            // root of every random stream
};

struct RuntimeConfig {
  std::string device = "auto";    // auto | cpu | cuda
  int64_t threads = 0;            // intra-op threads; 0 = auto (all cores)
  std::string log_level = "info"; // console level
  Precision precision = Precision::kAuto; // auto | fp32 | bf16 (autocast on CUDA only)
  bool deterministic = false;     // deterministic kernels (slower on GPU)
  bool tf32 = true;               // TF32 tensor cores for fp32 matmuls (CUDA only)
};

struct ModelConfig {
  int64_t vocab_size = 0;         // 0 = take it from the dataset's tokenizer
  int64_t d_model = 256;
  int64_t n_layers = 4;
  int64_t n_heads = 4;
  int64_t n_kv_heads = 0;         // 0 = n_heads (no grouped-query attention)
  int64_t d_ff = 0;               // 0 = multiple of 64 near 8/3 * d_model (SwiGLU)
  int64_t max_seq_len = 256;
  double rope_theta = 10000.0;
  double norm_eps = 1e-6;
  bool qk_norm = true;
  bool bias = false;
  bool tie_embeddings = false;
  double init_std = 0.02;
  double dropout_embed = 0.0;
  double dropout_attn = 0.0;
  double dropout_resid = 0.0;
  int64_t moe_experts = 0;        // 0 = dense FFN
  int64_t moe_top_k = 1;
  double moe_aux_coef = 0.01;
  double moe_z_coef = 0.001;
  std::string activation_checkpointing = "none";  // none | blocks (recompute in backward)
  int64_t checkpoint_every = 1;   // blocks: checkpoint every k-th block
};

struct ObjectiveConfig {
  ObjectiveKind kind = ObjectiveKind::kAr;  // ar | mdm | ar_noise | bd3
  double mask_eps = 1e-3;         // mdm: t ~ U(eps, 1]
  TSampling t_sampling = TSampling::kIndependent;  // independent | stratified
  Weighting weighting = Weighting::kInvT;           // inv_t | inv_realised
  double short_seq_prob = 0.01;   // mdm: chance of a random shorter sequence (the paper: 1%)
  double input_noise = 0.0;       // ar_noise: fraction of input tokens masked
  int64_t block_size = 0;         // bd3: tokens per block b (data.seq_len % b == 0); 0 unless bd3
  double t_min = 0.0;             // bd3: training masking rate clipped to [t_min, t_max] (BD3-LM's
  double t_max = 1.0;             //   beta, omega); evaluation always uses the full (mask_eps, 1]
};

struct DataConfig {
  std::string path = "";          // prepared dataset dir, Megatron prefix or raw .bin
  std::string val_path = "";      // validation prefix; "" = DIR/val or <prefix>_val
  int64_t seq_len = 256;
  int64_t unique_tokens = 0;      // nested budget U; 0 = the whole training split
  int64_t subset_seed = 1234;     // which documents form the budget (not run.seed)
  Shuffle shuffle = Shuffle::kEpoch;  // epoch | global
};

struct TrainConfig {
  int64_t total_tokens = 1000000; // compute budget D (tokens seen)
  int64_t batch_size = 16;        // global batch, sequences
  int64_t micro_batch_size = 0;   // per-rank micro batch; 0 = whole per-rank batch
  std::string optimizer = "adamw";
  double lr = 3e-4;
  LrSchedule lr_schedule = LrSchedule::kCosine;  // cosine | wsd | constant
  int64_t lr_warmup_steps = 100;
  double lr_min_ratio = 0.1;      // final lr = lr * lr_min_ratio
  double lr_decay_frac = 0.1;     // wsd: fraction of steps in the decay phase
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double adam_eps = 1e-8;
  bool decay_embeddings = false;
  double grad_clip = 1.0;         // 0 = off
  int64_t loss_chunk_tokens = 4096;  // LM head + cross-entropy in chunks of this many rows (0 = one)
  int64_t log_every = 10;
  int64_t eval_every = 0;         // steps; 0 = only at epoch boundaries
  bool eval_each_epoch = true;
  double eval_every_epochs = 0;      // epochs of the unique data between evaluations; 0 = off
  double eval_late_after_epochs = 0; // after this many epochs, eval_late_every_epochs instead; 0 = never
  double eval_late_every_epochs = 0;
  bool ckpt_each_eval = false;       // also keep a checkpoint at every evaluation (branch points)
  int64_t ckpt_every = 0;         // steps; 0 = only at the end
  int64_t ckpt_keep = 2;
  bool ckpt_each_epoch = false;
  NanPolicy nan_policy = NanPolicy::kStop;  // stop | skip
  int64_t max_nan_skips = 10;
  double peak_flops = 0.0;        // device peak FLOP/s for MFU; 0 = built-in guess
  bool tensorboard = true;        // also write metric rows as TensorBoard event files
};

struct EvalConfig {
  int64_t val_tokens = 65536;     // validation tokens per evaluation
  ValWindows val_windows = ValWindows::kFirst;  // first (the split's first windows) | spread (evenly over the split)
  int64_t val_batch_size = 8;
  int64_t mc_samples = 4;         // mdm: Monte Carlo samples per validation sequence
  std::vector<std::string> tasks; // task JSONL files scored at the eval cadence
  int64_t task_mc_samples = 128;  // mdm: Monte Carlo samples per choice (adaptive: the cap)
  McMode task_mc = McMode::kFixed;  // fixed | adaptive (eval/adaptive_mc.h)
  int64_t task_mc_min = 32;       // adaptive: samples of the first round
  int64_t task_mc_round = 16;     // adaptive: samples added per later round
  double task_mc_z = 3.0;         // adaptive: paired standard errors the leader must clear
  int64_t task_limit = 0;         // 0 = every item
  std::vector<std::string> codegen; // code-task JSONL files (eval/codegen_task.h) scored at the eval cadence
  int64_t codegen_limit = 0;      // problems per code task; 0 = all
  int64_t codegen_samples = 0;    // completions per problem for pass@1; 0 = canonical-solution NLL only
};

struct DistConfig {
  std::string backend = "auto";   // auto | gloo | nccl
  int64_t timeout_s = 300;
  double bucket_mb = 25.0;
  ShardMode shard = ShardMode::none;  // none | optimizer (ZeRO-1) | gradients (ZeRO-2)
  GradDtype grad_dtype = GradDtype::kFp32;  // fp32 | bf16: dtype of the gradient buckets on the wire
};

struct Config {
  RunConfig run;
  RuntimeConfig runtime;
  ModelConfig model;
  ObjectiveConfig objective;
  DataConfig data;
  TrainConfig train;
  EvalConfig eval;
  DistConfig dist;
};

// One visitor walks every field with its dotted key; the loader, the YAML
// writer, the key list and the range checks are all visitors, so a key exists
// in exactly one place.
struct FieldSpec {
  double min = -1e300;            // inclusive bounds for numbers
  double max = 1e300;
  std::vector<std::string> choices;  // allowed strings; empty = any
  bool allow_auto = false;        // integers: the word `auto` means 0
};

class ConfigVisitor {
 public:
  virtual ~ConfigVisitor() = default;
  virtual void field(const std::string& key, int64_t& v, const FieldSpec& spec) = 0;
  virtual void field(const std::string& key, double& v, const FieldSpec& spec) = 0;
  virtual void field(const std::string& key, bool& v, const FieldSpec& spec) = 0;
  virtual void field(const std::string& key, std::string& v, const FieldSpec& spec) = 0;
  virtual void field(const std::string& key, std::vector<std::string>& v,
                     const FieldSpec& spec) = 0;
};

void visit_config(Config& c, ConfigVisitor& v);

// Every dotted key, in declaration order.
std::vector<std::string> config_keys();

// Cross-field checks (e.g. n_heads divides d_model); throws UsageError.
void validate_config(const Config& c);

}  // namespace crossover
