// Block diffusion (bd3) against outside truths: the 2T attention mask against
// hand-written ones; block 1 = AR (the all-masked NELBO equals the exact
// left-to-right NLL, enumerated one prefix at a time, and the training loss's
// mean matches it); block T = mdm (loss, validation and log-likelihood equal
// mdm's on the same draws); gradients by finite differences; the conditional
// ELBO's mean equals its value enumerated over every mask subset.
#include "crossover/objective/bd3_objective.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "crossover/model/attention_layout.h"
#include "crossover/model/output_head.h"
#include "crossover/model/transformer.h"
#include "crossover/objective/mdm_objective.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

constexpr int64_t kV = 40, kMask = 39;

ObjectiveConfig bd3_config(int64_t block) {
  ObjectiveConfig c;
  c.kind = ObjectiveKind::kBd3;
  c.block_size = block;
  return c;
}

Transformer tiny_model(int64_t T, uint64_t seed = 5) {
  torch::manual_seed(seed);
  Transformer m(TransformerOptions(kV, 16).n_layers(2).n_heads(2).max_seq_len(T).init_std(0.3));
  m->to(torch::kFloat64);
  m->eval();
  return m;
}

torch::Tensor mask_from_rows(const std::vector<std::string>& rows) {
  const int64_t L = static_cast<int64_t>(rows.size());
  auto m = torch::zeros({L, L}, torch::kBool);
  for (int64_t i = 0; i < L; ++i) {
    int64_t j = 0;
    for (char c : rows[i]) {
      if (c == ' ') continue;
      m[i][j++] = c == '1';
    }
  }
  return m;
}

TEST(Bd3Layout, MaskEqualsHandWrittenForT8) {
  // Rows: queries x_t 0..7 then x_0 0..7; columns: keys in the same order.
  const std::vector<std::string> b2 = {
      "11...... ........", "11...... ........", "..11.... 11......", "..11.... 11......",
      "....11.. 1111....", "....11.. 1111....", "......11 111111..", "......11 111111..",
      "........ 11......", "........ 11......", "........ 1111....", "........ 1111....",
      "........ 111111..", "........ 111111..", "........ 11111111", "........ 11111111"};
  const std::vector<std::string> b4 = {
      "1111.... ........", "1111.... ........", "1111.... ........", "1111.... ........",
      "....1111 1111....", "....1111 1111....", "....1111 1111....", "....1111 1111....",
      "........ 1111....", "........ 1111....", "........ 1111....", "........ 1111....",
      "........ 11111111", "........ 11111111", "........ 11111111", "........ 11111111"};
  EXPECT_TRUE(torch::equal(attention_mask(AttentionLayout::bd3_train(2), 16, torch::kCPU),
                           mask_from_rows(b2)));
  EXPECT_TRUE(torch::equal(attention_mask(AttentionLayout::bd3_train(4), 16, torch::kCPU),
                           mask_from_rows(b4)));
  // block_causal(1) is causal, block_causal(T) is full.
  auto tri = torch::ones({8, 8}, torch::kBool).tril();
  EXPECT_TRUE(torch::equal(attention_mask(AttentionLayout::block_causal(1), 8, torch::kCPU), tri));
  EXPECT_TRUE(attention_mask(AttentionLayout::block_causal(8), 8, torch::kCPU).all().item<bool>());
  EXPECT_FALSE(attention_mask(AttentionLayout::causal(), 8, torch::kCPU).defined());
  EXPECT_THROW(attention_mask(AttentionLayout::bd3_train(2), 15, torch::kCPU), Error);
}

TEST(Bd3Layout, MaskedLayoutsMatchTheMaskFreeKernels) {
  const int64_t T = 8;
  auto m = tiny_model(T);
  torch::NoGradGuard ng;
  auto x = torch::randint(0, kMask, {2, T}, torch::kInt64);
  auto causal = m->forward(x, AttentionLayout::causal()).logits;
  auto full = m->forward(x, AttentionLayout::full()).logits;
  EXPECT_TRUE(torch::allclose(m->forward(x, AttentionLayout::block_causal(1)).logits, causal, 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(m->forward(x, AttentionLayout::block_causal(T)).logits, full, 1e-10, 1e-10));
  // bd3_train with one block: the noisy half sees only itself (= full on x_t);
  // the clean half, block-causal with one block, is full attention on x_0.
  auto y = torch::randint(0, kMask, {2, T}, torch::kInt64);
  auto both = m->forward(torch::cat({y, x}, 1), AttentionLayout::bd3_train(T)).logits;  // (2, 2T, V)
  EXPECT_TRUE(torch::allclose(both.narrow(1, 0, T), m->forward(y, AttentionLayout::full()).logits, 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(both.narrow(1, T, T), full, 1e-10, 1e-10));
}

// Σ_i −log p(x_i | x_<i, [MASK] at i), one causal forward per prefix.
double exact_block1_nll(TransformerImpl& m, const torch::Tensor& x) {
  torch::NoGradGuard ng;
  double s = 0;
  const int64_t T = x.size(0);
  for (int64_t i = 0; i < T; ++i) {
    auto seq = torch::cat({x.narrow(0, 0, i), torch::full({1}, kMask, torch::kInt64)}).unsqueeze(0);
    auto logits = m.forward(seq, AttentionLayout::causal()).logits;  // (1, i+1, V)
    s += token_nll(logits[0][i], x[i]).item<double>();
  }
  return s;
}

TEST(Bd3Objective, BlockOneIsAutoregressive) {
  const int64_t T = 8;
  auto m = tiny_model(T);
  auto x = torch::randint(0, kMask, {T}, torch::kInt64);
  const double exact = exact_block1_nll(*m, x);
  // Every token masked: the NELBO of b = 1 is exactly the left-to-right NLL.
  torch::Tensor row;
  torch::NoGradGuard ng;
  auto nll = bd3_masked_nll(*m, x.unsqueeze(0), torch::ones({1, T}, torch::kBool), 1, kMask, false, &row);
  EXPECT_NEAR(nll.sum().item<double>(), exact, 1e-9);
  // The training loss (Σ mask/t · CE over the noisy half) is unbiased for it.
  Bd3Objective obj(bd3_config(1), kMask);
  auto tokens = torch::cat({x, torch::zeros({1}, torch::kInt64)}).unsqueeze(0).expand({64, T + 1}).contiguous();
  std::vector<double> vals;
  for (int64_t s = 0; s < 40; ++s) {
    auto gen = make_generator(7, "mask", s);
    ObjectiveBatch b = obj.prepare(tokens, T, gen);
    ASSERT_EQ(b.inputs.sizes(), (std::vector<int64_t>{64, 2 * T}));
    EXPECT_EQ(b.layout, AttentionLayout::bd3_train(1));
    auto loss = objective_loss_sum_hidden(*m, transformer_hidden(*m, b.inputs, b.layout), b);
    vals.push_back(loss.item<double>() / 64);
  }
  double mean = 0, var = 0;
  for (double v : vals) mean += v / vals.size();
  for (double v : vals) var += (v - mean) * (v - mean) / (vals.size() - 1);
  const double se = std::sqrt(var / vals.size());
  EXPECT_LT(std::abs(mean - exact), 4 * se + 1e-9) << "mean " << mean << " exact " << exact << " se " << se;
  EXPECT_GT(se, 0);
}

TEST(Bd3Objective, BlockTIsMdmOnTheSameDraws) {
  const int64_t T = 12;
  auto m = tiny_model(T);
  ObjectiveConfig mc;
  mc.kind = ObjectiveKind::kMdm;
  mc.short_seq_prob = 0;
  MdmObjective mdm(mc, kMask);
  Bd3Objective bd3(bd3_config(T), kMask);
  auto tokens = torch::randint(0, kMask, {4, T + 1}, torch::kInt64);
  for (const char* ts : {"independent", "stratified"}) {
    ObjectiveConfig a = mc, c = bd3_config(T);
    a.t_sampling = c.t_sampling = parse_choice<TSampling>(ts);
    MdmObjective ma(a, kMask);
    Bd3Objective ba(c, kMask);
    auto g1 = make_generator(3, "mask", 1), g2 = make_generator(3, "mask", 1);
    ObjectiveBatch bm = ma.prepare(tokens, T, g1), bb = ba.prepare(tokens, T, g2);
    EXPECT_TRUE(torch::equal(bb.weights.narrow(1, 0, T), bm.weights)) << ts;
    EXPECT_EQ(bb.weights.narrow(1, T, T).abs().sum().item<double>(), 0.0);  // the clean half
    torch::NoGradGuard ng;
    auto lm = objective_loss_sum_hidden(*m, transformer_hidden(*m, bm.inputs, bm.layout), bm);
    auto lb = objective_loss_sum_hidden(*m, transformer_hidden(*m, bb.inputs, bb.layout), bb);
    EXPECT_NEAR(lb.item<double>(), lm.item<double>(), 1e-9 * std::abs(lm.item<double>())) << ts;
  }
  torch::NoGradGuard ng;
  EstimateOptions o;
  o.mc_samples = 6;
  o.seed = 11;
  auto vm = mdm.validation_loss_sums(*m, tokens, 5, o), vb = bd3.validation_loss_sums(*m, tokens, 5, o);
  EXPECT_TRUE(torch::allclose(vb, vm, 1e-10, 1e-9)) << vb << vm;
  std::vector<LoglikRequest> reqs(2);
  reqs[0].tokens = {1, 2, 3, 4, 5, 6, 7};
  reqs[0].n_context = 3;
  reqs[0].item = 4;
  reqs[1].tokens = {1, 2, 3, 9, 9};
  reqs[1].n_context = 3;
  reqs[1].item = 4;
  auto em = mdm.loglik_samples(*m, reqs, o, torch::kCPU), eb = bd3.loglik_samples(*m, reqs, o, torch::kCPU);
  ASSERT_EQ(em.size(), eb.size());
  for (size_t q = 0; q < em.size(); ++q) {
    ASSERT_EQ(em[q].size(), eb[q].size());
    for (size_t i = 0; i < em[q].size(); ++i) EXPECT_NEAR(eb[q][i], em[q][i], 1e-9) << q << " " << i;
  }
}

TEST(Bd3Objective, GradientsMatchFiniteDifferences) {
  const int64_t T = 8;
  auto m = tiny_model(T);
  m->train();
  Bd3Objective obj(bd3_config(4), kMask);
  auto tokens = torch::randint(0, kMask, {3, T + 1}, torch::kInt64);
  auto gen = make_generator(9, "mask");
  ObjectiveBatch b = obj.prepare(tokens, T, gen);
  auto loss_of = [&]() {
    return objective_loss_sum(m->forward(b.inputs, b.layout).logits, b);
  };
  auto p = m->named_parameters()["blocks.0.attn.wqkv.weight"];
  ASSERT_TRUE(p.defined());
  p.mutable_grad() = torch::Tensor();
  loss_of().backward();
  auto g = p.grad().clone();
  torch::NoGradGuard ng;
  for (int64_t idx : {0, 17, 101, 300}) {
    auto flat = p.view({-1});
    const double h = 1e-6, v = flat[idx].item<double>();
    flat[idx] = v + h;
    const double up = loss_of().item<double>();
    flat[idx] = v - h;
    const double dn = loss_of().item<double>();
    flat[idx] = v;
    EXPECT_NEAR(g.view({-1})[idx].item<double>(), (up - dn) / (2 * h), 1e-6) << "entry " << idx;
  }
}

TEST(Bd3Objective, ConditionalElboMatchesSubsetEnumeration) {
  const int64_t T = 8, block = 4;
  auto m = tiny_model(T);
  Bd3Objective obj(bd3_config(block), kMask);
  // Context 3 tokens, continuation 5: block 0 holds context 0..2 and answer 3;
  // block 1 holds answers 4..7.
  LoglikRequest req;
  req.tokens = {5, 6, 7, 8, 9, 10, 11, 12};
  req.n_context = 3;
  req.item = 2;
  auto x0 = torch::tensor(req.tokens, torch::kInt64).unsqueeze(0);  // (1, 8)
  torch::NoGradGuard ng;
  // Exact: per block, E over l uniform in 1..L_k and a uniform l-subset of its
  // answer positions of (L_k / l) Σ_masked nll.
  double exact = 0;
  for (auto [lo, hi] : std::vector<std::pair<int64_t, int64_t>>{{3, 4}, {4, 8}}) {
    const int64_t Lk = hi - lo;
    std::vector<double> by_l(Lk + 1, 0.0);
    std::vector<int64_t> count(Lk + 1, 0);
    for (int64_t s = 1; s < (1 << Lk); ++s) {
      auto mask = torch::zeros({1, T}, torch::kBool);
      int64_t l = 0;
      for (int64_t j = 0; j < Lk; ++j)
        if (s >> j & 1) {
          mask[0][lo + j] = true;
          ++l;
        }
      torch::Tensor row;
      by_l[l] += bd3_masked_nll(*m, x0, mask, block, kMask, false, &row).sum().item<double>();
      ++count[l];
    }
    for (int64_t l = 1; l <= Lk; ++l)
      exact += (1.0 / Lk) * (static_cast<double>(Lk) / l) * by_l[l] / count[l];
  }
  EstimateOptions o;
  o.mc_samples = 400;
  o.seed = 3;
  auto est = obj.loglik_samples(*m, {req}, o, torch::kCPU)[0];
  ASSERT_EQ(est.size(), 400u);
  double mean = 0, var = 0;
  for (double v : est) mean += v / est.size();
  for (double v : est) var += (v - mean) * (v - mean) / (est.size() - 1);
  const double se = std::sqrt(var / est.size());
  EXPECT_LT(std::abs(-mean - exact), 4 * se + 1e-9) << "mean " << -mean << " exact " << exact << " se " << se;
  // A one-token continuation is exact: one sample.
  LoglikRequest one = req;
  one.tokens.resize(4);
  EXPECT_EQ(obj.loglik_samples(*m, {one}, o, torch::kCPU)[0].size(), 1u);
}

}  // namespace
}  // namespace crossover
