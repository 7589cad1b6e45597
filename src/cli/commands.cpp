// commands.cpp — the table of `crossover <command>` names, summaries and entry points (commands.h).
#include "crossover/cli/commands.h"

namespace crossover {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"train", "train an AR or masked-diffusion model on a repeated data budget", cmd_train},
      {"eval", "score a checkpoint: validation loss and multiple-choice tasks (acc, ΔNLL)",
       cmd_eval},
      {"sample", "generate text from a checkpoint (AR with KV cache, MDM by unmasking)",
       cmd_sample},
      {"export", "write a checkpoint as a Hugging Face transformers folder", cmd_export},
      {"bench", "measure train-step (or model forward+backward) tokens/s and MFU", cmd_bench},
      {"plan", "memory per rank, fit, step time and GPU-hours of a config or sweep", cmd_plan},
      {"config", "validate a config and print it fully resolved", cmd_config},
      {"sweep", "expand a sweep file into named runs and show their status", cmd_sweep},
      {"report", "find AR vs DLM crossovers in runs; write report.csv/json", cmd_report},
      {"fit", "crossover intervals, data-efficiency factor and scaling-law fits of runs",
       cmd_fit},
      {"dist-check", "check the distributed setup: collectives, gradient sync, bandwidth",
       cmd_dist_check},
      {"data", "prepare a dataset, describe it, time its loader; convert/make task files",
       cmd_data},
      {"version", "print versions of crossover and LibTorch, CUDA and threads", cmd_version},
  };
  return kCommands;
}

}  // namespace crossover
