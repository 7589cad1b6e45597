// process_setup.h — the start of every command that computes: the config's
// `runtime:` section and torchrun's environment (LOCAL_RANK, LOCAL_WORLD_SIZE)
// turned into util/runtime.h's options and applied, before any process group
// exists. train, eval, bench and dist-check all start here, so every rank of a
// job picks its device (cuda:LOCAL_RANK) and its share of the cores the same way.
#pragma once

#include <torch/types.h>

#include "crossover/config/config.h"
#include "crossover/distributed/dist_env.h"
#include "crossover/util/runtime.h"

namespace crossover {

RuntimeOptions runtime_options(const RuntimeConfig& rc, const DistEnv& env);

// runtime_setup(runtime_options(rc, env)): returns this process's device.
torch::Device setup_process(const RuntimeConfig& rc, const DistEnv& env);

}  // namespace crossover
