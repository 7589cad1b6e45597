// `crossover export RUN|CHECKPOINT --format hf --out DIR`: the model as a
// Hugging Face transformers folder (io/hf_export.h says what maps to what and
// what is refused).
#include <torch/torch.h>

#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/eval/checkpoint_model.h"
#include "crossover/io/checkpoint.h"
#include "crossover/io/hf_export.h"
#include "crossover/util/check.h"
#include "crossover/util/log.h"

namespace crossover {

int cmd_export(const std::vector<std::string>& argv) {
  Args args("export",
            {{"format", "output format: hf (Hugging Face transformers folder)", true, false, "hf"},
             {"out", "output directory", true, false, ""},
             {"config", "use this config instead of the checkpoint's", true, false, ""},
             {"data", "prepared dataset DIR (for its tokenizer)", true, false, ""}},
            argv);
  if (args.help()) {
    std::cout << args.usage(
        "CHECKPOINT_DIR|RUN_DIR --format hf --out DIR",
        "Write the model as a transformers folder: config.json (Qwen3, or Llama without\n"
        "QK-norm), model.safetensors, generation_config.json, the tokenizer and a README.\n"
        "A masked-diffusion model is marked bidirectional with its [MASK] id.");
    return 0;
  }
  args.expect_positional(1, "one CHECKPOINT_DIR or RUN_DIR");
  if (args.get("format") != "hf")
    throw UsageError(str_cat("--format ", args.get("format"), " is not supported; hint: --format hf"));
  if (args.get("out").empty()) throw UsageError("export needs --out DIR");
  log_init(LogLevel::kWarn);
  CheckpointModel m =
      load_checkpoint_model(args.positional()[0], {args.get("config"), args.get("data"), "cpu"});
  HfExportSource src;
  src.options = m.model->options;
  for (const auto& [name, t] : module_tensors(*m.model)) src.params[name] = t;
  src.tokenizer = m.tokenizer.get();
  if (m.data) src.tokenizer_model = m.data->meta.tokenizer_model;
  src.diffusion = m.diffusion;
  src.origin = m.checkpoint;
  src.step = m.step;
  export_hf(src, args.get("out"));
  std::cout << "exported " << (m.diffusion ? "MDM" : "AR") << " checkpoint " << m.checkpoint
            << " (step " << m.step << ") as " << (src.options.qk_norm() ? "Qwen3" : "Llama")
            << "ForCausalLM to " << args.get("out") << "\n";
  return 0;
}

}  // namespace crossover
