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

// The vocabulary: model.vocab_size, else the prepared dataset's, else --vocab.
int64_t plan_vocab(const Config& c, const Args& args) {
  if (args.has("vocab")) return args.get_int("vocab");
  if (c.model.vocab_size > 0) return c.model.vocab_size;
  if (!c.data.path.empty() && std::filesystem::exists(c.data.path))
    return PreparedDataset::open(c.data.path, c.data.val_path, /*verify=*/false).meta.vocab_size;
  throw UsageError(str_cat("plan: the vocabulary is unknown (model.vocab_size is auto and data.path '",
                           c.data.path, "' is not prepared here); hint: --vocab N"));
}

bool is_sweep_file(const std::string& path) {
  const std::string text = read_file_text(path);
  return text.find("\ngrid:") != std::string::npos || text.rfind("grid:", 0) == 0 ||
         text.find("\ninclude:") != std::string::npos;
}

}  // namespace

int cmd_plan(const std::vector<std::string>& argv) {
  auto specs = config_option_specs();
  specs.push_back({"gpus", "devices (data-parallel ranks)", true, false, "1"});
  specs.push_back({"gpu", "h100 | h200 | a100 | cpu", true, false, "h100"});
  specs.push_back({"mfu", "assumed model FLOPs utilisation for the time estimate", true, false, "0.4"});
  specs.push_back({"json", "print the plan as one JSON object (single config only)", false, false, ""});
  specs.push_back({"vocab", "vocabulary size when neither the config nor a prepared dataset says", true,
                   false, ""});
  Args args("plan", specs, argv);
  if (args.help()) {
    std::cout << args.usage("CONFIG|SWEEP [--set key=value ...] --gpus N --gpu h100|h200|a100|cpu [--mfu F]",
                            "Per-rank memory (weights, gradients, AdamW state, activations) for every\n"
                            "dist.shard setting with and without activation checkpointing, whether it\n"
                            "fits, FLOPs/token, step time and GPU-hours at an assumed MFU. The memory\n"
                            "model is in include/crossover/train/plan.h; docs/plan.md has its errors.");
    return 0;
  }
  args.expect_positional(1, "one CONFIG or SWEEP file");
  const int64_t gpus = args.get_int("gpus");
  const double mfu = args.get_double("mfu");
  if (gpus < 1) throw UsageError("plan: --gpus must be >= 1");
  if (!(mfu > 0 && mfu <= 1)) throw UsageError("plan: --mfu must be in (0, 1]");
  const std::string path = args.positional()[0];
  if (!std::filesystem::is_regular_file(path))
    throw UsageError(str_cat("plan: '", path, "' is not a file"));
  if (!is_sweep_file(path)) {
    Config c = load_command_config(args);
    DeviceSpec dev = device_spec(args.get("gpu"), c.runtime.precision);
    Plan p = make_plan(c, plan_vocab(c, args), gpus, dev, mfu, c.dist.shard);
    std::cout << (args.has("json") ? plan_json(p) + "\n" : plan_report(p, str_cat("plan for ", path)));
    return p.fits(p.chosen_shard, p.chosen_ckpt) ? 0 : 3;
  }
  Sweep sw = load_sweep(path, "runs", args.all("set"));
  double hours = 0;
  bool all_fit = true;
  std::cout << "plan for sweep " << sw.name << " (" << sw.runs.size() << " runs, " << gpus << " x "
            << args.get("gpu") << ", MFU " << mfu << ")\n";
  for (const auto& run : sw.runs) {
    Config c = load_config(run.base, run.set_args());
    DeviceSpec dev = device_spec(args.get("gpu"), c.runtime.precision);
    Plan p = make_plan(c, plan_vocab(c, args), gpus, dev, mfu, c.dist.shard);
    std::cout << "  " << plan_row(p, run.name) << "\n";
    hours += p.gpu_hours;
    all_fit = all_fit && p.fits(p.chosen_shard, p.chosen_ckpt);
  }
  std::cout << "total: " << hours << " GPU-hours" << (all_fit ? "" : "; some runs DO NOT FIT") << "\n";
  return all_fit ? 0 : 3;
}

}  // namespace crossover
