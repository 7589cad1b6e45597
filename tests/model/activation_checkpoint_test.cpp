// Activation checkpointing against the plain forward: same loss, same
// gradient for every parameter (bit for bit on CPU fp32), with dropout on and
// with MoE blocks, and a checkpointed step that trains like a plain one.
#include "crossover/model/activation_checkpoint.h"

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
std::pair<double, std::map<std::string, torch::Tensor>> grads(int64_t every, int64_t experts) {
  seed_global_generators(5, "init");
  Transformer model(options(every, experts));
  model->train();
  auto gen = make_generator(5, "data");
  auto x = torch::randint(0, 64, {3, 16}, gen, torch::kLong);  // (B, T)
  seed_global_generators(5, "dropout");
  auto out = model->forward(x, /*causal=*/true);
  auto loss = torch::nn::functional::cross_entropy(out.logits.reshape({-1, 64}), x.reshape({-1})) +
              out.aux_loss;
  loss.backward();
  std::map<std::string, torch::Tensor> g;
  for (const auto& p : model->named_parameters()) g[p.key()] = p.value().grad().clone();
  return {loss.item<double>(), g};
}

void expect_same(int64_t every, int64_t experts) {
  auto plain = grads(0, experts);
  auto ckpt = grads(every, experts);
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
