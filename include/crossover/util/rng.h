// rng.h — named random streams. Every random draw in crossover comes from a
// generator seeded by (config seed, purpose, indices...), e.g.
//   make_generator(seed, "mask", step, m)      masks of global micro-batch m of a step
//                                              (m = rank · micro-batches per rank + local
//                                              index, so any world size draws alike)
//   make_generator(seed, "shuffle", epoch)      data order of one epoch
// so a run is reproducible, a resumed run draws exactly what the original
// would have, and no stream needs to be saved in a checkpoint.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace crossover {

// Deterministic 63-bit seed from a root seed, a purpose string and up to three
// indices: x = splitmix64(seed ^ splitmix64(fnv1a64(purpose))), then
// x = splitmix64(x ^ i) for i = a, b, c, and x >> 1 (positive as an int64).
// tests/util/rng_test.cpp pins values computed by an independent Python
// implementation, so a change to any stream shows up there first.
uint64_t derive_seed(uint64_t seed, const std::string& purpose, int64_t a = 0, int64_t b = 0,
                     int64_t c = 0);

// A fresh CPU (or CUDA) generator seeded with derive_seed(...).
torch::Generator make_generator(uint64_t seed, const std::string& purpose, int64_t a = 0,
                                int64_t b = 0, int64_t c = 0,
                                torch::Device device = torch::kCPU);

// Seeds torch's global generators (dropout, init) for (seed, purpose, a, b).
void seed_global_generators(uint64_t seed, const std::string& purpose, int64_t a = 0,
                            int64_t b = 0);

}  // namespace crossover
