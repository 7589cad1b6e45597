// process_setup.cpp — config + torchrun environment -> runtime options.
#include "crossover/distributed/process_setup.h"

namespace crossover {

RuntimeOptions runtime_options(const RuntimeConfig& rc, const DistEnv& env) {
  RuntimeOptions o;
  o.device = rc.device;
  o.threads = rc.threads;
  o.bf16_requested = rc.precision == Precision::kBf16;
  o.deterministic = rc.deterministic;
  o.tf32 = rc.tf32;
  o.local_rank = env.local_rank;
  o.local_world_size = env.local_world_size;
  return o;
}

torch::Device setup_process(const RuntimeConfig& rc, const DistEnv& env) {
  return runtime_setup(runtime_options(rc, env));
}

}  // namespace crossover
