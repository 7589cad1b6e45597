// rng.h — named random streams. Every random draw in crossover comes from a
// generator seeded by (config seed, purpose, indices...), e.g.
//   make_generator(seed, "mask", step, rank)   diffusion masks of one step
//   make_generator(seed, "shuffle", epoch)      data order of one epoch
// so a run is reproducible, a resumed run draws exactly what the original
// would have, and no stream needs to be saved in a checkpoint.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace crossover {

// Deterministic 64-bit seed from a root seed, a purpose string and up to three
// indices (splitmix64 over an FNV-1a hash of the purpose).
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
