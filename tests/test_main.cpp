// GoogleTest entry point shared by every test executable: quiet logs, and a
// fixed thread count so numeric comparisons do not depend on the machine.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "crossover/util/log.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  crossover::log_init(crossover::LogLevel::kWarn);
  torch::set_num_threads(1);
  return RUN_ALL_TESTS();
}
