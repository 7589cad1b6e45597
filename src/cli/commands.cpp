#include "crossover/cli/commands.h"

namespace crossover {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"config", "validate a config and print it fully resolved", cmd_config},
      {"bench-model", "time forward+backward of the model for a config", cmd_bench_model},
      {"version", "print versions of crossover and LibTorch, CUDA and threads", cmd_version},
  };
  return kCommands;
}

}  // namespace crossover
