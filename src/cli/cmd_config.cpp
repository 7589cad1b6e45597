// `crossover config CONFIG [--set k=v ...]`: validate and print the resolved config.
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/loader.h"

namespace crossover {

int cmd_config(const std::vector<std::string>& argv) {
  auto specs = config_option_specs();
  specs.push_back({"hash", "print only the config hash", false, false, ""});
  Args args("config", specs, argv);
  if (args.help()) {
    std::cout << args.usage("[CONFIG] [--set key=value ...]",
                            "Validate a config (with its base chain and overrides) and print the "
                            "fully resolved\nYAML. Without CONFIG, the defaults of "
                            "configs/base.yaml are used.");
    return 0;
  }
  Config c = load_command_config(args);
  if (args.has("hash")) {
    std::cout << config_hash(c) << "\n";
    return 0;
  }
  std::cout << "# config hash: " << config_hash(c) << "\n" << config_to_yaml(c);
  return 0;
}

}  // namespace crossover
