// runtime.h — process-wide torch settings taken from the `runtime:` section:
// intra-op threads, the compute device, deterministic kernels.
#pragma once

#include <torch/types.h>

#include <string>

#include "crossover/config/config.h"

namespace crossover {

// Applies runtime.threads (0 = all cores) and runtime.deterministic; returns
// the device runtime.device resolves to (auto = CUDA when available).
torch::Device runtime_setup(const RuntimeConfig& rc);
torch::Device resolve_device(const std::string& name, int64_t local_rank = 0);
int64_t hardware_threads();

}  // namespace crossover
