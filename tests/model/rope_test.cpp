// RoPE: identity at position 0, norm preservation, relative-position property
// (the defining property of rotary embeddings), finite-difference gradients.
#include "crossover/model/rope.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "crossover/util/check.h"
#include "model/gradcheck.h"

namespace crossover {
namespace {

TEST(RoPE, PositionZeroIsIdentityAndNormsArePreserved) {
  torch::manual_seed(1);
  RoPE rope(RoPEOptions(8, 16));
  auto x = torch::randn({2, 10, 3, 8});
  auto y = rope(x);
  EXPECT_TRUE(torch::allclose(y.select(1, 0), x.select(1, 0)));
  EXPECT_TRUE(torch::allclose(y.norm(2, -1), x.norm(2, -1), 1e-5, 1e-5));
}

TEST(RoPE, DotProductDependsOnlyOnRelativePosition) {
  // <R(m) q, R(n) k> == <R(m + s) q, R(n + s) k> for any shift s.
  torch::manual_seed(2);
  RoPE rope(RoPEOptions(8, 32).theta(100.0));
  rope->to(torch::kFloat64);
  auto q = torch::randn({8}, torch::kFloat64), k = torch::randn({8}, torch::kFloat64);
  // Same vector at every position: row t of the output is R(t) q.
  auto rq = rope(q.expand({1, 32, 1, 8}).contiguous()).view({32, 8});
  auto rk = rope(k.expand({1, 32, 1, 8}).contiguous()).view({32, 8});
  double base = (rq[5] * rk[2]).sum().item<double>();
  for (int s : {1, 7, 20})
    EXPECT_NEAR((rq[5 + s] * rk[2 + s]).sum().item<double>(), base, 1e-12);
  EXPECT_GT(std::abs((rq[5] * rk[3]).sum().item<double>() - base), 1e-6);  // it does depend on m - n
}

TEST(RoPE, FiniteDifferenceGradients) {
  torch::manual_seed(3);
  RoPE rope(RoPEOptions(6, 8));
  rope->to(torch::kFloat64);
  auto x = torch::randn({2, 5, 2, 6}, torch::kFloat64).requires_grad_();
  auto r = torch::randn({2, 5, 2, 6}, torch::kFloat64);
  testing::expect_gradients_match([&] { return (rope(x) * r).sum(); }, {{"x", x}});
}

TEST(RoPE, TooLongSequenceIsAnError) {
  RoPE rope(RoPEOptions(4, 4));
  EXPECT_THROW(rope(torch::zeros({1, 5, 1, 4})), Error);
}

}  // namespace
}  // namespace crossover
