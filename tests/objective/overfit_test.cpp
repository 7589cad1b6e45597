// Tiny overfit: with each objective the model memorises one fixed batch of 4
// random sequences. Outside truths from the data itself:
//  - AR: with distinct first tokens every target is determined by its prefix,
//    so a memorised batch has loss ~0 (threshold 0.05 nats/token; ar_noise 0.25).
//  - MDM: a model that ignores context can do no better than H_marg, the mean
//    entropy of the 4 tokens seen at each position (computed below, ~1.2 nats);
//    a memoriser uses the unmasked context to identify the sequence. It cannot
//    reach 0: with RoPE and no absolute positions, a position whose context is
//    (almost) all [MASK] cannot tell where it is, so there is a floor (≈0.4
//    here after thousands of steps). Threshold: 0.6 · H_marg after 400 steps,
//    each step averaging 8 mask draws of the same batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <iostream>

#include "crossover/model/transformer.h"
#include "crossover/objective/objective.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

constexpr int64_t kOverfitV = 12, kMaskId = 11, kB = 4, kT = 16;

// Distinct first tokens, so every AR target is determined by its prefix.
torch::Tensor make_batch() {
  torch::manual_seed(17);
  auto tokens = torch::randint(0, kMaskId, {kB, kT + 1}, torch::kInt64);  // (B, T+1)
  tokens.select(1, 0).copy_(torch::arange(kB));
  return tokens;
}

// Mean loss per token over 8 fixed (seeded) mask draws of 8 copies of the batch.
double eval_loss(Transformer& model, const Objective& obj, const torch::Tensor& tokens) {
  torch::NoGradGuard g;
  model->eval();
  double total = 0;
  auto rows = tokens.repeat({8, 1});
  for (int i = 0; i < 8; ++i) {
    auto gen = make_generator(1, "eval", i);
    auto b = obj.prepare(rows, kT, gen);
    total += objective_loss_sum(model(b.inputs, b.causal).logits, b).item<double>() /
             static_cast<double>(rows.size(0) * kT);
  }
  model->train();
  return total / 8;
}

// Trains on `tokens` (repeated `rep` times per step) and returns {initial, final} eval loss.
std::pair<double, double> overfit(const std::string& kind, int steps, int64_t rep, double lr) {
  ObjectiveConfig cfg;
  cfg.kind = parse_choice<ObjectiveKind>(kind);
  if (kind == "ar_noise") cfg.input_noise = 0.1;
  auto obj = make_objective(cfg, kMaskId);
  auto tokens = make_batch();
  Transformer model(TransformerOptions(kOverfitV, 32).n_layers(2).n_heads(2).max_seq_len(kT).init_std(0.05));
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(lr));
  double initial = eval_loss(model, *obj, tokens);
  auto rows = tokens.repeat({rep, 1});
  for (int step = 0; step < steps; ++step) {
    auto gen = make_generator(2, "mask", step);
    auto b = obj->prepare(rows, kT, gen);
    auto out = model(b.inputs, b.causal);
    auto loss = objective_loss_sum(out.logits, b) / static_cast<double>(rows.size(0) * kT);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  double final_loss = eval_loss(model, *obj, tokens);
  std::cout << "[overfit " << kind << "] loss " << initial << " -> " << final_loss << " after "
            << steps << " steps\n";
  return {initial, final_loss};
}

TEST(Overfit, ArMemorisesOneBatch) {
  auto [initial, final_loss] = overfit("ar", 200, 1, 3e-3);
  EXPECT_NEAR(initial, std::log(double(kOverfitV)), 0.3);
  EXPECT_LT(final_loss, 0.05) << "initial " << initial;
}

TEST(Overfit, ArNoiseMemorisesOneBatch) {
  auto [initial, final_loss] = overfit("ar_noise", 200, 1, 3e-3);
  EXPECT_LT(final_loss, 0.25) << "initial " << initial;
}

TEST(Overfit, MdmMemorisesOneBatch) {
  auto tokens = make_batch();
  double h_marg = 0;  // context-free optimum: mean per-position entropy of the batch
  for (int64_t i = 0; i < kT; ++i) {
    auto p = torch::bincount(tokens.select(1, i), {}, kOverfitV).to(torch::kFloat64) / kB;
    h_marg -= (p * torch::log(p.clamp_min(1e-30))).sum().item<double>() / kT;
  }
  auto [initial, final_loss] = overfit("mdm", 400, 8, 2e-3);
  EXPECT_GT(initial, 2.0);
  EXPECT_LT(final_loss, 0.6 * h_marg) << "initial " << initial << ", H_marg " << h_marg;
}

}  // namespace
}  // namespace crossover
