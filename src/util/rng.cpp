// rng.cpp — named random streams: deriving a generator's seed from (seed, name, indices) (rng.h).
#include "crossover/util/rng.h"

#include "crossover/util/checksum.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#ifdef CROSSOVER_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

namespace crossover {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t derive_seed(uint64_t seed, const std::string& purpose, int64_t a, int64_t b, int64_t c) {
  const uint64_t h = fnv1a64_update(kFnv1a64Offset, purpose.data(), purpose.size());
  uint64_t x = splitmix64(seed ^ splitmix64(h));
  x = splitmix64(x ^ static_cast<uint64_t>(a));
  x = splitmix64(x ^ static_cast<uint64_t>(b));
  x = splitmix64(x ^ static_cast<uint64_t>(c));
  return x >> 1;  // keep it positive as an int64 for torch APIs
}

torch::Generator make_generator(uint64_t seed, const std::string& purpose, int64_t a, int64_t b,
                                int64_t c, torch::Device device) {
  uint64_t s = derive_seed(seed, purpose, a, b, c);
  if (device.is_cuda()) {
#ifdef CROSSOVER_CUDA
    auto gen = at::cuda::detail::createCUDAGenerator(device.index());
    gen.set_current_seed(s);
    return gen;
#endif
  }
  return at::detail::createCPUGenerator(s);
}

void seed_global_generators(uint64_t seed, const std::string& purpose, int64_t a, int64_t b) {
  torch::manual_seed(derive_seed(seed, purpose, a, b));
}

}  // namespace crossover
