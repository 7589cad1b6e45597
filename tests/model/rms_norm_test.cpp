// RMSNorm: a hand-computed value and finite-difference gradients.
#include "crossover/model/rms_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/gradcheck.h"

namespace crossover {
namespace {

TEST(RMSNorm, HandComputedValue) {
  RMSNorm norm(RMSNormOptions(2).eps(0.0));
  // x = (3, 4): rms = sqrt((9 + 16) / 2) = sqrt(12.5)
  auto y = norm(torch::tensor({{3.0f, 4.0f}}));
  double r = std::sqrt(12.5);
  EXPECT_NEAR(y[0][0].item<double>(), 3.0 / r, 1e-6);
  EXPECT_NEAR(y[0][1].item<double>(), 4.0 / r, 1e-6);
}

TEST(RMSNorm, FiniteDifferenceGradients) {
  torch::manual_seed(0);
  RMSNorm norm(RMSNormOptions(6).eps(1e-6));
  norm->to(torch::kFloat64);
  {
    torch::NoGradGuard g;
    norm->weight.uniform_(0.5, 1.5);
  }
  auto x = torch::randn({2, 3, 6}, torch::kFloat64).requires_grad_();
  auto r = torch::randn({2, 3, 6}, torch::kFloat64);
  testing::expect_gradients_match([&] { return (norm(x) * r).sum(); },
                                  testing::named_tensors(*norm, {{"x", x}}));
}

}  // namespace
}  // namespace crossover
