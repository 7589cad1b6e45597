// Named random streams: equal names give equal streams, different names
// different ones, and the derivation is pinned by golden values — seeds
// computed by an independent Python implementation of the documented recipe
// (FNV-1a of the purpose, splitmix64 chaining, >> 1) and first draws from
// PyTorch's CPU generator seeded with them (torch.Generator().manual_seed(s),
// torch.rand(3, dtype=float64)). A changed derivation would silently change
// every mask, data order and init of every run; this test says so.
#include "crossover/util/rng.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>

namespace crossover {
namespace {

TEST(Rng, SameNameSameStreamDifferentNameDifferentStream) {
  auto a = make_generator(7, "mask", 3, 0);
  auto b = make_generator(7, "mask", 3, 0);
  auto c = make_generator(7, "mask", 3, 1);
  auto d = make_generator(7, "shuffle", 3, 0);
  auto ta = torch::rand({16}, a), tb = torch::rand({16}, b);
  EXPECT_TRUE(torch::equal(ta, tb));
  EXPECT_FALSE(torch::equal(ta, torch::rand({16}, c)));
  EXPECT_FALSE(torch::equal(ta, torch::rand({16}, d)));
  EXPECT_NE(derive_seed(1, "x"), derive_seed(2, "x"));
  EXPECT_EQ(derive_seed(1, "x", 5), derive_seed(1, "x", 5));
}

struct Golden {
  uint64_t seed;
  const char* purpose;
  int64_t a, b;
  uint64_t derived;
  std::array<double, 3> draws;
};

TEST(Rng, StreamsMatchGoldenValuesFromAnIndependentImplementation) {
  const Golden golden[] = {
      // The trainer's mask stream: run.seed 11, step 7, global micro-batches 3 and 4.
      {11, "mask", 7, 3, 146217773336105328ULL,
       {0.2702396485132502, 0.4534634271966749, 0.6972669296176625}},
      {11, "mask", 7, 4, 3637352381363509656ULL,
       {0.40612803240606354, 0.03928567861337684, 0.715781914178565}},
      {11, "step", 7, 0, 4962179756250216696ULL,
       {0.9928237293785296, 0.1279224823999041, 0.8731258891435714}},
      // Validation window 5 and task position (item 2, position 9).
      {0x5eed5eedULL, "val_window", 5, 0, 6768556527345456018ULL,
       {0.6383442995624083, 0.7461012615958834, 0.6053384362227838}},
      {0x7a5c5eedULL, "task_mc_position", 2, 9, 8532954852915601961ULL,
       {0.9737967283221333, 0.6384936051342291, 0.29375751739234723}},
      // A negative index is taken as its two's-complement bits.
      {1, "shuffle", -1, 0, 6946781033008313279ULL,
       {0.10061087326002027, 0.5168971619027497, 0.5637382793037414}},
  };
  for (const auto& g : golden) {
    EXPECT_EQ(derive_seed(g.seed, g.purpose, g.a, g.b), g.derived) << g.purpose << " " << g.a;
    auto gen = make_generator(g.seed, g.purpose, g.a, g.b);
    auto r = torch::rand({3}, gen, torch::kFloat64);
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(r[i].item<double>(), g.draws[i]) << g.purpose << " " << g.a << " draw " << i;
  }
}

}  // namespace
}  // namespace crossover
