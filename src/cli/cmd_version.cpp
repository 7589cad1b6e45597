// `crossover version` / `crossover --version`.
#include <torch/torch.h>

#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/util/runtime.h"
#include "crossover/util/strings.h"

namespace crossover {

std::string version_string() {
  bool cuda = torch::cuda::is_available();
  std::string out = str_cat("crossover ", CROSSOVER_VERSION, " | LibTorch ", TORCH_VERSION,
                            " | CUDA: ", cuda ? "yes" : "no");
  if (cuda) out += str_cat(" (", torch::cuda::device_count(), " devices)");
  out += str_cat(" | threads: ", torch::get_num_threads());
  return out;
}

int cmd_version(const std::vector<std::string>& argv) {
  CommandLine cli("version", "Print the versions of crossover and LibTorch, whether CUDA is there, "
                             "and the CPU threads.");
  if (!cli.parse_args(argv)) return 0;
  runtime_setup(RuntimeOptions{});
  std::cout << version_string() << "\n";
  return 0;
}

}  // namespace crossover
