// Activation checkpointing against the plain forward: same loss, same
// gradient for every parameter (bit for bit on CPU fp32), with dropout on and
// with MoE blocks, and a checkpointed step that trains like a plain one.
// Under CPU bf16 autocast (the CUDA step's precision, on a CPU) the recompute,
// which runs in backward after the autocast region has closed, must see the
// forward's autocast state: then gradients equal the plain ones again.
#include "crossover/model/activation_checkpoint.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "crossover/model/transformer.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

TransformerOptions options(int64_t every, int64_t experts) {
  return TransformerOptions(64, 32)
      .n_layers(3)
      .n_heads(4)
      .max_seq_len(16)
      .dropout_attn(0.1)
      .dropout_resid(0.2)
      .dropout_embed(0.1)
      .moe_experts(experts)
      .moe_top_k(experts > 0 ? 2 : 1)
      .checkpoint_every(every);
}

// Loss and every parameter's gradient after one forward/backward from fixed
// seeds (init, data and dropout).
// bf16: the forward runs under CPU bf16 autocast and backward after it closes,
// as train_step does on CUDA.
std::pair<double, std::map<std::string, torch::Tensor>> grads(int64_t every, int64_t experts,
                                                              bool bf16 = false) {
  seed_global_generators(5, "init");
  Transformer model(options(every, experts));
  model->train();
  auto gen = make_generator(5, "data");
  auto x = torch::randint(0, 64, {3, 16}, gen, torch::kLong);  // (B, T)
  seed_global_generators(5, "dropout");
  torch::Tensor loss;
  {
    at::autocast::set_autocast_enabled(at::kCPU, bf16);
    at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
    auto out = model->forward(x, /*causal=*/true);
    loss = torch::nn::functional::cross_entropy(out.logits.to(torch::kFloat32).reshape({-1, 64}),
                                                x.reshape({-1})) +
           out.aux_loss.to(torch::kFloat32);
    at::autocast::set_autocast_enabled(at::kCPU, false);
    at::autocast::clear_cache();
  }
  loss.backward();
  std::map<std::string, torch::Tensor> g;
  for (const auto& p : model->named_parameters()) g[p.key()] = p.value().grad().clone();
  return {loss.item<double>(), g};
}

void expect_same(int64_t every, int64_t experts, bool bf16 = false) {
  auto plain = grads(0, experts, bf16);
  auto ckpt = grads(every, experts, bf16);
  EXPECT_EQ(plain.first, ckpt.first);
  ASSERT_EQ(plain.second.size(), ckpt.second.size());
  for (const auto& [name, g] : plain.second) {
    ASSERT_TRUE(ckpt.second.at(name).defined()) << name;
    EXPECT_TRUE(torch::equal(g, ckpt.second.at(name))) << name << " every=" << every
        << " max diff " << (g - ckpt.second.at(name)).abs().max().item<double>();
  }
}

TEST(ActivationCheckpoint, GradientsBitIdenticalWithDropout) { expect_same(1, 0); }
TEST(ActivationCheckpoint, EveryOtherBlockAndMoe) {
  expect_same(2, 0);
  expect_same(1, 4);
}

TEST(ActivationCheckpoint, Bf16AutocastGradientsEqualThePlainOnes) {
  expect_same(1, 0, /*bf16=*/true);
  expect_same(2, 4, /*bf16=*/true);
}

TEST(ActivationCheckpoint, ReplaySeesTheForwardsAutocastState) {
  std::vector<std::pair<bool, at::ScalarType>> seen;
  set_checkpoint_replay_observer([&] {
    seen.emplace_back(at::autocast::is_autocast_enabled(at::kCPU),
                      at::autocast::get_autocast_dtype(at::kCPU));
  });
  grads(1, 0, /*bf16=*/true);
  const size_t n_bf16 = seen.size();
  grads(1, 0, /*bf16=*/false);
  set_checkpoint_replay_observer(nullptr);
  ASSERT_EQ(n_bf16, 3u);  // one replay per block
  ASSERT_EQ(seen.size(), 6u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(seen[i].first) << "replay " << i << " ran outside autocast";
    EXPECT_EQ(seen[i].second, at::kBFloat16);
    EXPECT_FALSE(seen[3 + i].first) << "an fp32 forward replayed under autocast";
  }
  EXPECT_FALSE(at::autocast::is_autocast_enabled(at::kCPU)) << "the replay leaked its state";
}

TEST(ActivationCheckpoint, ReplayRestoresTheGeneratorsItBorrowed) {
  // The recompute must not shift the global stream: the draw after backward
  // is the one a plain run makes.
  auto after = [](int64_t every) {
    seed_global_generators(5, "init");
    Transformer model(options(every, 0));
    model->train();
    auto x = torch::randint(0, 64, {2, 16}, make_generator(1, "data"), torch::kLong);
    seed_global_generators(9, "dropout");
    model->forward(x, true).logits.sum().backward();
    return torch::rand({4}).sum().item<double>();
  };
  EXPECT_EQ(after(0), after(1));
}

TEST(ActivationCheckpoint, EvalIsAPlainForward) {
  seed_global_generators(5, "init");
  Transformer a(options(0, 0));
  seed_global_generators(5, "init");  // the same weights
  Transformer b(options(1, 0));
  a->eval();
  b->eval();
  torch::NoGradGuard ng;
  auto x = torch::randint(0, 64, {2, 16}, make_generator(1, "data"), torch::kLong);
  EXPECT_TRUE(torch::equal(a->forward(x, false).logits, b->forward(x, false).logits));
}

}  // namespace
}  // namespace crossover
