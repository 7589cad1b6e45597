// `crossover sample CHECKPOINT --prompt TEXT [--max-new-tokens N] [--num-samples K]
// [--seed S] ...`: text from an AR model (temperature / top-k / top-p, KV cache)
// or an MDM (iterative unmasking, LLaDA-style), batched and seeded.
#include <torch/torch.h>

#include <cmath>
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/eval/checkpoint_model.h"
#include "crossover/eval/generate.h"
#include "crossover/util/check.h"
#include "crossover/util/log.h"
#include "crossover/util/rng.h"

namespace crossover {

int cmd_sample(const std::vector<std::string>& argv) {
  Args args("sample",
            {{"prompt", "text to continue ('' = start of a document)", true, false, ""},
             {"max-new-tokens", "tokens to generate (MDM: the answer length)", true, false, "128"},
             {"num-samples", "samples, generated as one batch", true, false, "1"},
             {"seed", "sampling seed", true, false, "0"},
             {"temperature", "AR: softmax temperature, 0 = greedy; MDM: Gumbel noise temperature",
              true, false, ""},
             {"top-k", "AR: keep the k most likely tokens (0 = off)", true, false, "0"},
             {"top-p", "AR: nucleus probability (1 = off)", true, false, "1.0"},
             {"no-cache", "AR: recompute the prefix every step instead of the KV cache", false, false, ""},
             {"steps", "MDM: denoising steps in total (default: max-new-tokens)", true, false, "0"},
             {"block-length", "MDM: semi-autoregressive block (default: max-new-tokens)", true, false, "0"},
             {"remasking", "MDM: low_confidence | random", true, false, "low_confidence"},
             {"config", "use this config instead of the checkpoint's", true, false, ""},
             {"data", "prepared dataset DIR (for its tokenizer)", true, false, ""},
             {"device", "cpu | cuda | auto", true, false, ""}},
            argv);
  if (args.help()) {
    std::cout << args.usage("CHECKPOINT_DIR|RUN_DIR --prompt TEXT [options]",
                            "Generate text. AR: left to right with a KV cache. MDM: iterative\n"
                            "unmasking of --max-new-tokens positions in --steps steps.");
    return 0;
  }
  args.expect_positional(1, "one CHECKPOINT_DIR or RUN_DIR");
  const int64_t K = args.get_int("num-samples"), n_new = args.get_int("max-new-tokens");
  if (K < 1 || n_new < 1)
    throw UsageError("sample: --num-samples and --max-new-tokens must be >= 1");
  const double temperature = args.get("temperature").empty() ? 0.0 : args.get_double("temperature");
  if (temperature < 0 || !std::isfinite(temperature))
    throw UsageError(str_cat("sample: --temperature ", args.get("temperature"),
                             " must be >= 0 (0 = greedy)"));
  const double top_p = args.get_double("top-p");
  if (!(top_p > 0 && top_p <= 1))
    throw UsageError(str_cat("sample: --top-p ", args.get("top-p"), " must be in (0, 1] (1 = off)"));
  for (const char* opt : {"top-k", "steps", "block-length"})
    if (args.get_int(opt) < 0)
      throw UsageError(str_cat("sample: --", opt, " ", args.get(opt), " must be >= 0"));
  log_init(LogLevel::kWarn);
  CheckpointModel m = load_checkpoint_model(args.positional()[0],
                                            {args.get("config"), args.get("data"), args.get("device")});
  const Tokenizer& tok = *m.tokenizer;
  std::vector<int32_t> ids = tok.encode(args.get("prompt"));
  ids.insert(ids.begin(), tok.eos_id());  // a document boundary, as in the packed training stream
  std::vector<int64_t> ids64(ids.begin(), ids.end());
  auto prompt = torch::tensor(ids64, torch::kInt64).unsqueeze(0).repeat({K, 1}).to(m.device);  // (K, P)
  auto gen = make_generator(static_cast<uint64_t>(args.get_int("seed")), "sample", 0, 0, 0, m.device);
  std::vector<int64_t> banned = {tok.bos_id(), tok.pad_id(), tok.mask_id()};
  torch::Tensor out;  // (K, P + n)
  const int64_t P0 = prompt.size(1), context = m.model->options.max_seq_len();
  if (P0 >= context)
    throw UsageError(str_cat("sample: the prompt is ", P0, " tokens (with the leading EOS) but the ",
                             "model's context is max_seq_len=", context, "; hint: a shorter --prompt"));
  if (P0 + n_new > context) {
    if (m.diffusion)
      throw UsageError(str_cat("sample: prompt ", P0, " + --max-new-tokens ", n_new, " exceeds the ",
                               "model's context max_seq_len=", context, "; hint: --max-new-tokens ",
                               context - P0, " or less"));
    std::cerr << "crossover: note: --max-new-tokens " << n_new << " does not fit the model's context "
              << "(max_seq_len " << context << ", prompt " << P0 << " tokens): generating at most "
              << context - P0 << " new tokens\n";
  }
  if (!m.diffusion) {
    ArSampleOptions o;
    o.max_new_tokens = n_new;
    o.temperature = args.get("temperature").empty() ? 1.0 : temperature;
    o.top_k = args.get_int("top-k");
    o.top_p = args.get_double("top-p");
    o.eos_id = tok.eos_id();
    o.banned_ids = banned;
    o.use_cache = !args.has("no-cache");
    out = ar_generate(m.model, prompt, o, gen);
  } else {
    MdmSampleOptions o;
    o.gen_length = n_new;
    o.steps = args.get_int("steps") > 0 ? args.get_int("steps") : n_new;
    o.block_length = args.get_int("block-length") > 0 ? args.get_int("block-length") : n_new;
    o.temperature = args.get("temperature").empty() ? 0.0 : temperature;
    o.remasking = args.get("remasking");
    o.mask_id = tok.mask_id();
    o.banned_ids = banned;
    out = mdm_generate(m.model, prompt, o, gen);
  }
  const int64_t P = prompt.size(1);
  for (int64_t k = 0; k < K; ++k) {
    std::cout << "=== sample " << k << " (" << m.objective->name() << ") ===\n"
              << args.get("prompt") << decode_until_eos(tok, out[k].narrow(0, P, out.size(1) - P))
              << "\n";
  }
  return 0;
}

}  // namespace crossover
