// `crossover train CONFIG [--set k=v ...] [--resume auto|PATH] [--overwrite] [--branch-from CKPT]`.
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/loader.h"
#include "crossover/train/trainer.h"
#include "crossover/util/log.h"

namespace crossover {

int cmd_train(const std::vector<std::string>& argv) {
  CommandLine cli("train",
                  "Train the config's objective (ar, mdm, ar_noise) on its data budget. Writes\n"
                  "<run.dir>/<run.name>/: config.yaml, log.txt, metrics.jsonl, metrics.csv,\n"
                  "checkpoints/, summary.json. Ctrl-C stops after the current step with a checkpoint.");
  ConfigArgs config_args;
  add_config_args(cli, config_args, /*config_required=*/true);
  TrainOptions opts;
  cli.add_option("--resume", opts.resume,
                 "continue a run: 'auto' (latest valid checkpoint) or a checkpoint directory")
      ->type_name("auto|PATH");
  cli.add_flag("--overwrite", opts.overwrite, "replace an existing run directory");
  cli.add_option("--branch-from", opts.branch_from,
                 "start this new run from another run's checkpoint (weights, AdamW state, step, "
                 "data cursor) under its own LR schedule, e.g. a WSD decay from a constant-LR "
                 "checkpoint; only train.total_tokens / lr_schedule / lr_decay_frac / "
                 "lr_min_ratio may differ from the parent")
      ->type_name("CHECKPOINT_DIR");
  if (!cli.parse_args(argv)) return 0;
  Config cfg = load_command_config(config_args);
  TrainResult r = run_training(cfg, opts);
  if (r.interrupted)
    std::cerr << "crossover: stopped at step " << r.steps << "; checkpoint saved, continue with "
              << "'crossover train ... --resume auto'\n";
  return 0;
}

}  // namespace crossover
