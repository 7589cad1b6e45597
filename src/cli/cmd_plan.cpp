// `crossover plan CONFIG|SWEEP [--set k=v ...] --gpus N --gpu h100|h200|a100|cpu [--mfu F]`:
// memory per rank (every shard setting, with and without activation
// checkpointing), fit, FLOPs/token, step time and GPU-hours — before any
// GPU-hour is spent. A sweep file prints one line per run and the total.
#include <filesystem>
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/loader.h"
#include "crossover/config/sweep.h"
#include "crossover/data/dataset.h"
#include "crossover/train/plan.h"
#include "crossover/util/check.h"
#include "crossover/util/file_io.h"

namespace crossover {
namespace {

// The vocabulary: --vocab, else model.vocab_size, else the prepared dataset's.
int64_t plan_vocab(const Config& c, const CLI::Option* vocab_option, int64_t vocab) {
  if (vocab_option->count() > 0) return vocab;
  if (c.model.vocab_size > 0) return c.model.vocab_size;
  if (!c.data.path.empty() && std::filesystem::exists(c.data.path))
    return PreparedDataset::open(c.data.path, c.data.val_path, /*verify=*/false).meta.vocab_size;
  throw UsageError(str_cat("plan: the vocabulary is unknown (model.vocab_size is auto and data.path '",
                           c.data.path, "' is not prepared here); hint: --vocab N"));
}

// Every number the command line gives, range-checked before any arithmetic
// (a negative vocabulary would print negative parameters and memory). The
// config's own numbers are range-checked by the strict loader.
void check_plan_options(int64_t gpus, double mfu, bool vocab_given, int64_t vocab) {
  constexpr int64_t kMaxGpus = int64_t{1} << 20;   // a million devices
  constexpr int64_t kMaxVocab = int64_t{1} << 24;  // as model.vocab_size (config.cpp)
  if (gpus < 1 || gpus > kMaxGpus)
    throw UsageError(str_cat("plan: --gpus ", gpus, " must be in [1, ", kMaxGpus, "]"));
  if (!(mfu > 0 && mfu <= 1))
    throw UsageError(str_cat("plan: --mfu ", mfu, " must be in (0, 1] (a fraction of peak FLOP/s)"));
  if (vocab_given && (vocab < 1 || vocab > kMaxVocab))
    throw UsageError(str_cat("plan: --vocab ", vocab, " must be in [1, ", kMaxVocab, "]"));
}

bool is_sweep_file(const std::string& path) {
  const std::string text = read_file_text(path);
  return text.find("\ngrid:") != std::string::npos || text.rfind("grid:", 0) == 0 ||
         text.find("\ninclude:") != std::string::npos;
}

}  // namespace

int cmd_plan(const std::vector<std::string>& argv) {
  CommandLine cli("plan",
                  "Per-rank memory (weights, gradients, AdamW state, activations) for every\n"
                  "dist.shard setting with and without activation checkpointing, whether it\n"
                  "fits, FLOPs/token, step time and GPU-hours at an assumed MFU. CONFIG may be a\n"
                  "sweep file: one line per run and the total. The memory model is in\n"
                  "include/crossover/train/plan.h; docs/plan.md has its errors.");
  ConfigArgs config_args;
  add_config_args(cli, config_args, /*config_required=*/true);
  int64_t gpus = 1, vocab = 0;
  std::string gpu = "h100";
  double mfu = 0.4;
  bool json = false;
  cli.add_option("--gpus", gpus, "devices (data-parallel ranks)");
  cli.add_option("--gpu", gpu, "the device kind")->check(one_of({"h100", "h200", "a100", "cpu"}));
  cli.add_option("--mfu", mfu, "assumed model FLOPs utilisation for the time estimate");
  cli.add_flag("--json", json, "print the plan as one JSON object (single config only)");
  const CLI::Option* vocab_option =
      cli.add_option("--vocab", vocab, "vocabulary size when neither the config nor a prepared dataset says")
          ->default_str("");
  if (!cli.parse_args(argv)) return 0;
  check_plan_options(gpus, mfu, vocab_option->count() > 0, vocab);
  const std::string path = config_args.path;
  if (!std::filesystem::is_regular_file(path))
    throw UsageError(str_cat("plan: '", path, "' is not a file"));
  if (!is_sweep_file(path)) {
    Config c = load_command_config(config_args);
    DeviceSpec dev = device_spec(gpu, c.runtime.precision);
    Plan p = make_plan(c, plan_vocab(c, vocab_option, vocab), gpus, dev, mfu, c.dist.shard);
    std::cout << (json ? plan_json(p) + "\n" : plan_report(p, str_cat("plan for ", path)));
    return p.fits(p.chosen_shard, p.chosen_ckpt) ? 0 : 3;
  }
  Sweep sw = load_sweep(path, "runs", config_args.sets);
  double hours = 0;
  bool all_fit = true;
  std::cout << "plan for sweep " << sw.name << " (" << sw.runs.size() << " runs, " << gpus << " x "
            << gpu << ", MFU " << mfu << ")\n";
  for (const auto& run : sw.runs) {
    Config c = load_config(run.base, run.set_args());
    DeviceSpec dev = device_spec(gpu, c.runtime.precision);
    Plan p = make_plan(c, plan_vocab(c, vocab_option, vocab), gpus, dev, mfu, c.dist.shard);
    std::cout << "  " << plan_row(p, run.name) << "\n";
    hours += p.gpu_hours;
    all_fit = all_fit && p.fits(p.chosen_shard, p.chosen_ckpt);
  }
  std::cout << "total: " << hours << " GPU-hours" << (all_fit ? "" : "; some runs DO NOT FIT") << "\n";
  return all_fit ? 0 : 3;
}

}  // namespace crossover
