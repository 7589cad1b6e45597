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
  CommandLine cli("export",
                  "Write the model as a transformers folder: config.json (Qwen3, or Llama without\n"
                  "QK-norm), model.safetensors, generation_config.json, the tokenizer and a README.\n"
                  "A masked-diffusion model is marked bidirectional with its [MASK] id; a\n"
                  "block-diffusion model also with its block size (block-causal attention).");
  std::string checkpoint, format = "hf", out;
  CheckpointModelOptions model{"", "", "cpu"};
  cli.add_option("CHECKPOINT", checkpoint, "a checkpoint directory or a run directory (its latest)")
      ->required();
  cli.add_option("--format", format, "output format: hf (Hugging Face transformers folder)");
  cli.add_option("--out", out, "output directory")->required();
  cli.add_option("--config", model.config_path, "use this config instead of the checkpoint's");
  cli.add_option("--data", model.data_path, "prepared dataset DIR (for its tokenizer)");
  bool overwrite = false;
  cli.add_flag("--overwrite", overwrite,
               "replace an earlier export in a non-empty --out (never inside a run directory)");
  if (!cli.parse_args(argv)) return 0;
  // Checked here rather than by CLI11 so the error can name the one format there is.
  if (format != "hf")
    throw UsageError(str_cat("export: --format ", format, " is not supported; hint: --format hf"));
  check_hf_export_out(out, overwrite);  // before the checkpoint is read: refuse fast
  log_init(LogLevel::kWarn);
  CheckpointModel m = load_checkpoint_model(checkpoint, model);
  HfExportSource src;
  src.options = m.model->options;
  for (const auto& [name, t] : module_tensors(*m.model)) src.params[name] = t;
  src.tokenizer = m.tokenizer.get();
  if (m.data) src.tokenizer_model = m.data->meta.tokenizer_model;
  src.paradigm = m.paradigm;
  src.origin = m.checkpoint;
  src.step = m.step;
  export_hf(src, out, overwrite);
  std::cout << "exported " << m.paradigm.label() << " checkpoint " << m.checkpoint
            << " (step " << m.step << ") as " << (src.options.qk_norm() ? "Qwen3" : "Llama")
            << "ForCausalLM to " << out << "\n";
  return 0;
}

}  // namespace crossover
