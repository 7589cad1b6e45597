// `crossover sample CHECKPOINT --prompt TEXT [--max-new-tokens N] [--num-samples K]
// [--seed S] ...`: text from an AR model (temperature / top-k / top-p, KV cache),
// an MDM (iterative unmasking, LLaDA-style) or a BD3 model (block by block with
// a KV cache, unmasking inside each block), batched and seeded.
#include <torch/torch.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/eval/checkpoint_model.h"
#include "crossover/eval/generate.h"
#include "crossover/util/check.h"
#include "crossover/util/device_info.h"
#include "crossover/util/log.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

// The command line of `crossover sample`.
struct SampleArgs {
  std::string checkpoint;  // CHECKPOINT_DIR | RUN_DIR
  std::string prompt;
  int64_t max_new_tokens = 128, num_samples = 1, seed = 0;
  double temperature = 0;  // meaningful only when given: AR defaults to 1, MDM to 0
  bool temperature_given = false;
  int64_t top_k = 0;
  double top_p = 1.0;
  bool no_cache = false;
  int64_t steps = 0, block_length = 0;
  std::string remasking = "low_confidence";
  CheckpointModelOptions model;
};

// Parses argv into `a`; false when --help was printed.
bool parse_sample_args(const std::vector<std::string>& argv, SampleArgs& a) {
  CommandLine cli("sample",
                  "Generate text. AR: left to right with a KV cache. MDM: iterative\n"
                  "unmasking of --max-new-tokens positions in --steps steps. BD3: block by\n"
                  "block (the model's block size) with a KV cache, unmasking inside each.");
  cli.add_option("CHECKPOINT", a.checkpoint, "a checkpoint directory or a run directory (its latest)")
      ->required();
  cli.add_option("--prompt", a.prompt, "text to continue ('' = start of a document)");
  cli.add_option("--max-new-tokens", a.max_new_tokens, "tokens to generate (MDM: the answer length)");
  cli.add_option("--num-samples", a.num_samples, "samples, generated as one batch");
  cli.add_option("--seed", a.seed, "sampling seed");
  CLI::Option* temperature =
      cli.add_option("--temperature", a.temperature,
                     "AR: softmax temperature, 0 = greedy (default 1); MDM: Gumbel noise "
                     "temperature (default 0)")
          ->default_str("");
  cli.add_option("--top-k", a.top_k, "AR: keep the k most likely tokens (0 = off)");
  cli.add_option("--top-p", a.top_p, "AR: nucleus probability (1 = off)");
  cli.add_flag("--no-cache", a.no_cache, "AR, BD3: recompute the prefix every step instead of the KV cache");
  cli.add_option("--steps", a.steps, "MDM, BD3: denoising steps in total (0: max-new-tokens)");
  cli.add_option("--block-length", a.block_length, "MDM: semi-autoregressive block (0: max-new-tokens)");
  cli.add_option("--remasking", a.remasking, "MDM: which masked positions to keep unmasking")
      ->check(one_of({"low_confidence", "random"}));
  cli.add_option("--config", a.model.config_path, "use this config instead of the checkpoint's");
  cli.add_option("--data", a.model.data_path, "prepared dataset DIR (for its tokenizer)");
  cli.add_option("--device", a.model.device, "default: the run's runtime.device")
      ->check(one_of({"cpu", "cuda", "auto"}));
  if (!cli.parse_args(argv)) return false;
  a.temperature_given = temperature->count() > 0;
  if (a.num_samples < 1 || a.max_new_tokens < 1)
    throw UsageError("sample: --num-samples and --max-new-tokens must be >= 1");
  if (a.temperature < 0 || !std::isfinite(a.temperature))
    throw UsageError(str_cat("sample: --temperature ", a.temperature, " must be >= 0 (0 = greedy)"));
  if (!(a.top_p > 0 && a.top_p <= 1))
    throw UsageError(str_cat("sample: --top-p ", a.top_p, " must be in (0, 1] (1 = off)"));
  const std::pair<const char*, int64_t> non_negative[] = {
      {"top-k", a.top_k}, {"steps", a.steps}, {"block-length", a.block_length}};
  for (const auto& [name, value] : non_negative)
    if (value < 0) throw UsageError(str_cat("sample: --", name, " ", value, " must be >= 0"));
  return true;
}

// The K samples are one batch. A lower bound of what it holds — the token ids,
// the logits (every position for an MDM or without the KV cache, one per step
// with it) and the AR KV cache, fp32 — checked against the memory there is
// (MemAvailable, or the address-space limit `ulimit -v` when it is lower), so
// an absurd --num-samples is one line before the allocator fails.
void check_sample_memory(const CheckpointModel& m, int64_t K, int64_t T, bool no_cache) {
  const auto& o = m.model->options;
  const double V = static_cast<double>(o.vocab_size());
  const double kv_heads = static_cast<double>(o.n_kv_heads() > 0 ? o.n_kv_heads() : o.n_heads());
  const double head_dim = static_cast<double>(o.d_model() / o.n_heads());
  const bool all_logits = m.paradigm.kind == ParadigmKind::masked_diffusion || no_cache;
  const double per_sample = static_cast<double>(T) * 8.0 +                    // ids (int64)
                            (all_logits ? static_cast<double>(T) : 1.0) * V * 4.0 +  // logits
                            (all_logits ? 0.0 : 2.0 * static_cast<double>(o.n_layers()) * kv_heads *
                                                 head_dim * static_cast<double>(T) * 4.0);  // K/V cache
  const double need = per_sample * static_cast<double>(K);
  double have = available_memory_bytes(m.device);
  struct rlimit lim;
  if (!m.device.is_cuda() && ::getrlimit(RLIMIT_AS, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    have = have > 0 ? std::min(have, static_cast<double>(lim.rlim_cur)) : static_cast<double>(lim.rlim_cur);
  if (have > 0 && need > have)
    throw UsageError(str_cat("sample: --num-samples ", K, " x ", T, " tokens is one batch that needs ",
                             "at least ", std::llround(need / (1 << 20)), " MiB (ids, logits",
                             all_logits ? "" : ", KV cache", ") but ", m.device.str(), " has ",
                             std::llround(have / (1 << 20)), " MiB; hint: fewer --num-samples"));
}

}  // namespace

int cmd_sample(const std::vector<std::string>& argv) {
  SampleArgs a;
  if (!parse_sample_args(argv, a)) return 0;
  const int64_t K = a.num_samples, n_new = a.max_new_tokens;
  log_init(LogLevel::kWarn);
  CheckpointModel m = load_checkpoint_model(a.checkpoint, a.model);
  if (m.paradigm.kind == ParadigmKind::block_diffusion && a.block_length > 0 &&
      a.block_length != m.paradigm.block_size)
    throw UsageError(str_cat("sample: --block-length ", a.block_length, " does not apply to a ",
                             "block-diffusion model: it decodes in its own blocks of ",
                             m.paradigm.block_size, " tokens (objective.block_size); hint: drop "
                             "--block-length"));
  const Tokenizer& tok = *m.tokenizer;
  const auto ids = prompt_ids(tok, a.prompt);
  const int64_t P0 = static_cast<int64_t>(ids.size()), context = m.model->options.max_seq_len();
  if (P0 >= context)
    throw UsageError(str_cat("sample: the prompt is ", P0, " tokens (with the leading EOS) but the ",
                             "model's context is max_seq_len=", context, "; hint: a shorter --prompt"));
  check_sample_memory(m, K, std::min(P0 + n_new, context), a.no_cache);
  if (P0 + n_new > context) {
    if (m.paradigm.kind == ParadigmKind::masked_diffusion)
      throw UsageError(str_cat("sample: prompt ", P0, " + --max-new-tokens ", n_new, " exceeds the ",
                               "model's context max_seq_len=", context, "; hint: --max-new-tokens ",
                               context - P0, " or less"));
    std::cerr << "crossover: note: --max-new-tokens " << n_new << " does not fit the model's context "
              << "(max_seq_len " << context << ", prompt " << P0 << " tokens): generating at most "
              << context - P0 << " new tokens\n";
  }
  auto prompt = torch::tensor(ids, torch::kInt64).unsqueeze(0).repeat({K, 1}).to(m.device);  // (K, P)
  auto gen = make_generator(static_cast<uint64_t>(a.seed), "sample", 0, 0, 0, m.device);
  SampleOptions o;
  o.paradigm = m.paradigm;
  o.max_new_tokens = n_new;
  o.temperature = a.temperature_given ? a.temperature : (m.paradigm.is_diffusion() ? 0.0 : 1.0);
  o.top_k = a.top_k;
  o.top_p = a.top_p;
  o.use_cache = !a.no_cache;
  o.steps = a.steps;
  o.block_length = a.block_length;
  o.remasking = a.remasking;
  o.bf16 = m.bf16;  // as training and eval compute
  auto out = generate(m.model, tok, prompt, o, gen);  // (K, P + n)
  const int64_t P = prompt.size(1);
  for (int64_t k = 0; k < K; ++k) {
    std::cout << "=== sample " << k << " (" << m.objective->name() << ") ===\n"
              << a.prompt << decode_until_eos(tok, out[k].narrow(0, P, out.size(1) - P))
              << "\n";
  }
  return 0;
}

}  // namespace crossover
