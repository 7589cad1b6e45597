#include "crossover/cli/commands.h"

namespace crossover {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"config", "validate a config and print it fully resolved", cmd_config},
      {"dist-check", "check the distributed setup: collectives, gradient sync, bandwidth",
       cmd_dist_check},
      {"version", "print versions of crossover and LibTorch, CUDA and threads", cmd_version},
  };
  return kCommands;
}

}  // namespace crossover
