// MoE: equals a dense gate-matrix mixture of experts, a hand-computed aux loss,
// finite-difference gradients of output and aux loss, parameter accounting.
#include "crossover/model/moe.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "crossover/model/transformer.h"
#include "model/gradcheck.h"

namespace crossover {
namespace {

MoE make_moe(int64_t E, int64_t k) {
  MoE m(MoEOptions(6, 8, E).top_k(k).aux_coef(0.5).z_coef(0.25));
  m->to(torch::kFloat64);
  torch::NoGradGuard g;
  for (auto& p : m->parameters()) p.normal_(0.0, 0.5);
  return m;
}

TEST(MoE, EqualsDenseMixtureAndHandComputedAux) {
  torch::manual_seed(10);
  auto m = make_moe(4, 2);
  auto x = torch::randn({2, 5, 6}, torch::kFloat64);
  auto got = m(x);
  auto xf = x.view({10, 6});
  auto probs = m->router(xf).softmax(-1);  // (N, E)
  auto out = torch::zeros({10, 6}, torch::kFloat64);
  std::vector<double> f(4, 0.0);
  for (int64_t n = 0; n < 10; ++n) {
    auto top = probs[n].topk(2);
    auto w = std::get<0>(top) / std::get<0>(top).sum();
    for (int64_t j = 0; j < 2; ++j) {
      int64_t e = std::get<1>(top)[j].item<int64_t>();
      f[e] += 1.0 / 20.0;
      out[n] += w[j] * m->experts->ptr<SwiGLUImpl>(e)->forward(xf[n]);
    }
  }
  EXPECT_TRUE(torch::allclose(got.out.view({10, 6}), out, 1e-12, 1e-12));
  auto P = probs.mean(0);
  double balance = 0;
  for (int e = 0; e < 4; ++e) balance += 4 * f[e] * P[e].item<double>();
  double z = torch::logsumexp(m->router(xf), -1).square().mean().item<double>();
  EXPECT_NEAR(got.aux_loss.item<double>(), 0.5 * balance + 0.25 * z, 1e-12);
}

TEST(MoE, FiniteDifferenceGradientsWithAuxLoss) {
  torch::manual_seed(11);
  for (int64_t k : {1, 2}) {
    auto m = make_moe(3, k);
    auto x = torch::randn({2, 3, 6}, torch::kFloat64).requires_grad_();
    auto r = torch::randn({2, 3, 6}, torch::kFloat64);
    // The routing choice is piecewise constant; h = 1e-6 never flips it here.
    testing::expect_gradients_match(
        [&] {
          auto o = m(x);
          return (o.out * r).sum() + o.aux_loss;
        },
        testing::named_tensors(*m, {{"x", x}}), 8);
  }
}

TEST(MoE, EightExpertsTopOneHaveTheActiveSizeOfTheDenseModel) {
  auto dense = Transformer(TransformerOptions(100, 32).n_layers(2).d_ff(64));
  auto moe = Transformer(TransformerOptions(100, 32).n_layers(2).d_ff(64).moe_experts(8).moe_top_k(1));
  int64_t router = 2 * 8 * 32;  // n_layers · E · C, the only extra active weights
  int64_t expert = 3 * 32 * 64;
  EXPECT_EQ(dense->active_param_count(), dense->param_count());
  EXPECT_EQ(moe->active_param_count(), dense->param_count() + router);
  EXPECT_EQ(moe->param_count(), dense->param_count() + router + 2 * 7 * expert);
  auto top2 = Transformer(TransformerOptions(100, 32).n_layers(2).d_ff(64).moe_experts(8).moe_top_k(2));
  EXPECT_EQ(top2->active_param_count(), dense->param_count() + router + 2 * expert);
}

TEST(MoE, EveryExpertGetsAGradientEvenWhenUnused) {
  torch::manual_seed(12);
  auto m = make_moe(4, 1);
  auto x = torch::randn({1, 1, 6}, torch::kFloat64);  // one token: 3 experts idle
  m(x).out.sum().backward();
  for (const auto& p : m->parameters()) EXPECT_TRUE(p.grad().defined());
}

}  // namespace
}  // namespace crossover
