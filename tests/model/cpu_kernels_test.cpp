// Fused CPU kernels: equal to the ATen formulations (values and gradients) on
// contiguous and strided inputs, and finite-difference gradients in float64.
#include "crossover/model/cpu_kernels.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/gradcheck.h"

namespace crossover {
namespace {

torch::Tensor aten_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  int64_t T = x.size(1), half = x.size(3) / 2;
  auto c = cos.slice(0, 0, T).unsqueeze(1), s = sin.slice(0, 0, T).unsqueeze(1);
  auto x1 = x.slice(3, 0, half), x2 = x.slice(3, half);
  return torch::cat({x1 * c - x2 * s, x2 * c + x1 * s}, 3);
}

// A q-like strided view: (B, T, H, D) slice of a (B, T, 3·H·D) projection leaf,
// or the contiguous (B, T, H, D) leaf itself.
torch::Tensor view_of(const torch::Tensor& leaf, bool strided) {
  return strided ? leaf.slice(2, 24, 48).view({2, 5, 3, 8}) : leaf;
}

TEST(CpuKernels, RMSNormMatchesAtenOnStridedAndContiguousInputs) {
  torch::manual_seed(19);
  for (bool strided : {true, false}) {
    auto base = strided ? torch::randn({2, 5, 72}) : torch::randn({2, 5, 3, 8});
    auto w = torch::rand({8}) + 0.5;
    auto l1 = base.clone().requires_grad_(), w1 = w.clone().requires_grad_();
    auto l2 = base.clone().requires_grad_(), w2 = w.clone().requires_grad_();
    auto g = torch::randn({2, 5, 3, 8});
    auto y1 = fused_rms_norm(view_of(l1, strided), w1, 1e-6);
    auto y2 = at::rms_norm(view_of(l2, strided), {8}, w2, 1e-6);
    EXPECT_TRUE(torch::allclose(y1, y2, 1e-5, 1e-6)) << "strided=" << strided;
    y1.backward(g);
    y2.backward(g);
    EXPECT_TRUE(torch::allclose(l1.grad(), l2.grad(), 1e-4, 1e-5)) << "strided=" << strided;
    EXPECT_TRUE(torch::allclose(w1.grad(), w2.grad(), 1e-4, 1e-5)) << "strided=" << strided;
  }
}

TEST(CpuKernels, RoPEMatchesAtenOnStridedInputs) {
  torch::manual_seed(20);
  auto base = torch::randn({2, 5, 72});
  auto cos = torch::rand({7, 4}), sin = torch::rand({7, 4});
  auto la = base.clone().requires_grad_(), lb = base.clone().requires_grad_();
  auto g = torch::randn({2, 5, 3, 8});
  auto ya = fused_rope(view_of(la, true), cos, sin), yb = aten_rope(view_of(lb, true), cos, sin);
  EXPECT_TRUE(torch::allclose(ya, yb, 1e-6, 1e-6));
  ya.backward(g);
  yb.backward(g);
  EXPECT_TRUE(torch::allclose(la.grad(), lb.grad(), 1e-6, 1e-6));
}

TEST(CpuKernels, FiniteDifferenceGradientsOnStridedViews) {
  torch::manual_seed(21);
  auto qkv = torch::randn({2, 4, 3 * 2 * 6}, torch::kFloat64).requires_grad_();
  auto w = (torch::rand({6}, torch::kFloat64) + 0.5).requires_grad_();
  auto cos = torch::rand({4, 3}, torch::kFloat64), sin = torch::rand({4, 3}, torch::kFloat64);
  auto r = torch::randn({2, 4, 2, 6}, torch::kFloat64);
  testing::expect_gradients_match(
      [&] {
        auto q = qkv.slice(2, 12, 24).view({2, 4, 2, 6});  // (B, T, H, D) strided
        return (fused_rope(fused_rms_norm(q, w, 1e-6), cos, sin) * r).sum();
      },
      {{"qkv", qkv}, {"w", w}}, 48);
}

}  // namespace
}  // namespace crossover
