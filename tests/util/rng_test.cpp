#include "crossover/util/rng.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

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

}  // namespace
}  // namespace crossover
