// Our AdamW against LibTorch's torch::optim::AdamW (the outside truth).
#include "crossover/train/adamw.h"

#include <gtest/gtest.h>

#include "crossover/util/check.h"

namespace crossover {
namespace {

TEST(AdamW, MatchesTorchOptimAdamWWithDecayGroups) {
  torch::manual_seed(0);
  auto w1 = torch::randn({5, 3}, torch::kFloat64).requires_grad_();
  auto w2 = torch::randn({7}, torch::kFloat64).requires_grad_();
  auto r1 = w1.detach().clone().requires_grad_();
  auto r2 = w2.detach().clone().requires_grad_();
  AdamWOptions o{0.9, 0.95, 1e-8, 0.1};
  AdamW ours({{"w1", w1}, {"w2", w2}}, {"w2"}, o);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{r1},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(1e-2).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.1)));
  groups.emplace_back(std::vector<torch::Tensor>{r2},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(1e-2).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.0)));
  torch::optim::AdamW ref(groups, torch::optim::AdamWOptions(1e-2));
  for (int s = 0; s < 6; ++s) {
    auto x = torch::randn({3}, torch::kFloat64);
    auto loss_a = (w1.matmul(x).pow(2).sum() + w2.sin().sum());
    auto loss_b = (r1.matmul(x).pow(2).sum() + r2.sin().sum());
    ours.zero_grad();
    ref.zero_grad();
    loss_a.backward();
    loss_b.backward();
    double lr = 1e-2 * (s + 1);
    for (auto& g : ref.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    ours.step(lr);
    ref.step();
  }
  EXPECT_LT((w1 - r1).abs().max().item<double>(), 1e-12);
  EXPECT_LT((w2 - r2).abs().max().item<double>(), 1e-12);
}

TEST(AdamW, StateRoundTripContinuesIdentically) {
  torch::manual_seed(1);
  auto make_params = [] { return torch::arange(6, torch::kFloat32).reshape({2, 3}).requires_grad_(); };
  auto w = make_params();
  AdamW a({{"w", w}}, {}, AdamWOptions{});
  auto run_step = [](AdamW& opt, torch::Tensor& p, int s) {
    opt.zero_grad();
    (p * p * (s + 1)).sum().backward();
    opt.step(0.01);
  };
  for (int s = 0; s < 3; ++s) run_step(a, w, s);
  std::map<std::string, torch::Tensor> saved;
  for (auto& [k, v] : a.state_tensors()) saved[k] = v.clone();
  auto w2 = w.detach().clone().requires_grad_();
  AdamW b({{"w", w2}}, {}, AdamWOptions{});
  b.load_state(saved, a.steps());
  for (int s = 3; s < 5; ++s) {
    run_step(a, w, s);
    run_step(b, w2, s);
  }
  EXPECT_TRUE(torch::equal(w, w2));
}


// The multi-tensor (_foreach_) step against the per-tensor loop: the same
// arithmetic in the same order, so the same bits, over decay and no-decay
// groups and a parameter without a gradient.
std::vector<torch::Tensor> run_impl(const std::string& impl, torch::Dtype dtype) {
  torch::manual_seed(3);
  std::vector<torch::Tensor> w = {torch::randn({5, 3}, dtype).requires_grad_(),
                                  torch::randn({7}, dtype).requires_grad_(),
                                  torch::randn({2, 2}, dtype).requires_grad_()};
  AdamWOptions o{0.9, 0.95, 1e-8, 0.1};
  o.impl = impl;
  AdamW opt({{"a", w[0]}, {"b", w[1]}, {"unused", w[2]}}, {"b"}, o);
  for (int s = 0; s < 5; ++s) {
    opt.zero_grad();
    auto x = torch::randn({3}, dtype);
    (w[0].matmul(x).pow(2).sum() + w[1].sin().sum()).backward();
    opt.step(1e-2 * (s + 1));
  }
  std::vector<torch::Tensor> out;
  for (auto& t : w) out.push_back(t.detach().clone());
  for (auto& [name, t] : opt.state_tensors()) out.push_back(t.clone());
  return out;
}

TEST(AdamW, ForeachEqualsLoopBitForBit) {
  for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
    auto loop = run_impl("loop", dtype), foreach = run_impl("foreach", dtype), autos = run_impl("auto", dtype);
    ASSERT_EQ(loop.size(), foreach.size());
    for (size_t i = 0; i < loop.size(); ++i) {
      EXPECT_TRUE(torch::equal(loop[i], foreach[i])) << i;
      EXPECT_TRUE(torch::equal(loop[i], autos[i])) << i;  // auto is foreach on CPU
    }
  }
  EXPECT_THROW(run_impl("fused", torch::kFloat32), Error);  // CUDA only
}

}  // namespace
}  // namespace crossover

namespace crossover {
namespace {

// zero_grad() releases .grad (no gradient memory between steps), and a
// parameter that a later step leaves out still moves (momentum, decay) exactly
// as it did when .grad was zeroed in place: against an AdamW fed an explicit
// zero gradient.
TEST(AdamW, ZeroGradReleasesGradAndLeftOutParametersStillMove) {
  torch::manual_seed(0);
  auto a = torch::randn({4, 3}).requires_grad_(true), b = a.detach().clone().requires_grad_(true);
  AdamW released({{"w", a}}, {}, AdamWOptions{}), zeroed({{"w", b}}, {}, AdamWOptions{});
  a.mutable_grad() = torch::ones({4, 3});
  b.mutable_grad() = torch::ones({4, 3});
  released.step(0.1);
  zeroed.step(0.1);
  released.zero_grad();
  const torch::Tensor after_first = a.detach().clone();
  EXPECT_FALSE(a.grad().defined());
  EXPECT_EQ(released.held_bytes().grads, 0);
  b.mutable_grad().zero_();  // the old zero_grad: a defined zero gradient
  released.step(0.1);        // a's .grad is left undefined: it must still move
  zeroed.step(0.1);
  EXPECT_TRUE(torch::equal(a.detach(), b.detach()));
  EXPECT_FALSE(torch::equal(a.detach(), after_first));
}

}  // namespace
}  // namespace crossover
