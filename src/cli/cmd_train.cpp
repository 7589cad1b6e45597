// `crossover train CONFIG [--set k=v ...] [--resume auto|PATH] [--overwrite]`.
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/loader.h"
#include "crossover/train/trainer.h"
#include "crossover/util/log.h"

namespace crossover {

int cmd_train(const std::vector<std::string>& argv) {
  auto specs = config_option_specs();
  specs.push_back({"resume", "continue a run: 'auto' (latest valid checkpoint) or a checkpoint "
                             "directory", true, false, ""});
  specs.push_back({"overwrite", "replace an existing run directory", false, false, ""});
  Args args("train", specs, argv);
  if (args.help()) {
    std::cout << args.usage(
        "CONFIG [--set key=value ...] [--resume auto|PATH] [--overwrite]",
        "Train the config's objective (ar, mdm, ar_noise) on its data budget. Writes\n"
        "<run.dir>/<run.name>/: config.yaml, log.txt, metrics.jsonl, metrics.csv,\n"
        "checkpoints/, summary.json. Ctrl-C stops after the current step with a checkpoint.");
    return 0;
  }
  args.expect_positional(1, "one CONFIG file");
  Config cfg = load_command_config(args);
  TrainOptions opts;
  opts.resume = args.get("resume");
  opts.overwrite = args.has("overwrite");
  TrainResult r = run_training(cfg, opts);
  if (r.interrupted)
    std::cerr << "crossover: stopped at step " << r.steps << "; checkpoint saved, continue with "
              << "'crossover train ... --resume auto'\n";
  return 0;
}

}  // namespace crossover
