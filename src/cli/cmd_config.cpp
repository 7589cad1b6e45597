// `crossover config CONFIG [--set k=v ...]`: validate and print the resolved config.
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/loader.h"

namespace crossover {

int cmd_config(const std::vector<std::string>& argv) {
  CommandLine cli("config",
                  "Validate a config (with its base chain and overrides) and print the fully resolved\n"
                  "YAML. Without CONFIG, the defaults of configs/base.yaml are used.");
  ConfigArgs config_args;
  add_config_args(cli, config_args, /*config_required=*/false);
  bool hash_only = false;
  cli.add_flag("--hash", hash_only, "print only the config hash");
  if (!cli.parse_args(argv)) return 0;
  Config c = load_command_config(config_args);
  if (hash_only) {
    std::cout << config_hash(c) << "\n";
    return 0;
  }
  std::cout << "# config hash: " << config_hash(c) << "\n" << config_to_yaml(c);
  return 0;
}

}  // namespace crossover
