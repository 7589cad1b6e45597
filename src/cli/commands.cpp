#include "crossover/cli/commands.h"

namespace crossover {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"config", "validate a config and print it fully resolved", cmd_config},
      {"data", "prepare a tokenized dataset (prepare), describe it (info), time its loader (bench)",
       cmd_data},
      {"version", "print versions of crossover and LibTorch, CUDA and threads", cmd_version},
  };
  return kCommands;
}

}  // namespace crossover
