// data_parallel.h — making every rank start from the same model: parameters
// and buffers are broadcast from rank 0 (after init, after loading a checkpoint
// on rank 0 only). Gradients are kept in sync by distributed/grad_sync.h.
#pragma once

#include <torch/nn/module.h>

#include "crossover/distributed/dist.h"

namespace crossover {

// Overwrites every parameter and buffer of `module` (recursively, tied tensors
// once) with rank 0's values. World 1: nothing happens.
void broadcast_parameters(torch::nn::Module& module, Dist& dist);

}  // namespace crossover
