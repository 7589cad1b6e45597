// SwiGLU: the d_ff rule, a hand-built value, finite-difference gradients.
#include "crossover/model/swiglu.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/gradcheck.h"

namespace crossover {
namespace {

TEST(SwiGLU, AutoHiddenDimIsEightThirdsRoundedUpTo64) {
  EXPECT_EQ(swiglu_hidden_dim(256, 0), 704);   // 682.7 -> 704
  EXPECT_EQ(swiglu_hidden_dim(768, 0), 2048);  // exactly 2048
  EXPECT_EQ(swiglu_hidden_dim(2048, 0), 5504); // 5461.3 -> 5504
  EXPECT_EQ(swiglu_hidden_dim(2048, 6144), 6144);
}

TEST(SwiGLU, EqualsDownOfSiluGateTimesUp) {
  torch::manual_seed(8);
  SwiGLU f(SwiGLUOptions(4, 6));
  auto x = torch::randn({3, 4});
  auto W = f->gate_up->weight;  // (12, 4): rows [gate | up]
  auto gate = torch::matmul(x, W.slice(0, 0, 6).t()), up = torch::matmul(x, W.slice(0, 6).t());
  auto want = torch::matmul(gate * torch::sigmoid(gate) * up, f->down->weight.t());
  EXPECT_TRUE(torch::allclose(f(x), want, 1e-5, 1e-6));
}

TEST(SwiGLU, FiniteDifferenceGradients) {
  torch::manual_seed(9);
  SwiGLU f(SwiGLUOptions(5, 8).bias(true));
  f->to(torch::kFloat64);
  auto x = torch::randn({2, 3, 5}, torch::kFloat64).requires_grad_();
  auto r = torch::randn({2, 3, 5}, torch::kFloat64);
  testing::expect_gradients_match([&] { return (f(x) * r).sum(); },
                                  testing::named_tensors(*f, {{"x", x}}));
}

}  // namespace
}  // namespace crossover
