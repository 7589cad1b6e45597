// Objectives: AR shifting, input noise rate, MDM masks (rate = t, unmasked
// positions contribute exactly zero), t sampling, short sequences, the MDM
// loss as an unbiased estimate of an exactly computable likelihood, and the
// supervised-positions-only head equal (value and gradients) to the full head.
#include "crossover/objective/objective.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "crossover/model/output_head.h"
#include "crossover/objective/mdm_objective.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

constexpr int64_t kMask = 99;

ObjectiveConfig mdm_config(const std::string& weighting, const std::string& t_sampling = "independent") {
  ObjectiveConfig c;
  c.kind = "mdm";
  c.weighting = weighting;
  c.t_sampling = t_sampling;
  return c;
}

TEST(Objective, HeadAtSupervisedPositionsOnlyEqualsTheFullHead) {
  torch::manual_seed(3);
  Transformer m(TransformerOptions(100, 16).n_layers(1).n_heads(2).max_seq_len(12));
  m->to(torch::kFloat64);
  auto tokens = torch::randint(0, kMask, {3, 13}, torch::kInt64);  // (B, T+1)
  auto gen = make_generator(4, "mask");
  for (const auto& cfg : {mdm_config("inv_t"), mdm_config("inv_realised"), ObjectiveConfig{}}) {
    auto obj = make_objective(cfg, kMask);
    ObjectiveBatch b = obj->prepare(tokens, 12, gen);
    EXPECT_EQ(b.sparse, cfg.kind == "mdm");
    auto loss_grads = [&](bool masked_only) {
      m->zero_grad();
      auto loss = masked_only
                      ? objective_loss_sum_hidden(*m, transformer_hidden(*m, b.inputs, b.causal), b)
                      : objective_loss_sum(m->forward(b.inputs, b.causal).logits, b);
      loss.backward();
      std::vector<torch::Tensor> out{loss.detach()};
      for (const auto& p : m->parameters()) out.push_back(p.grad().clone());
      return out;
    };
    auto full = loss_grads(false), part = loss_grads(true);
    ASSERT_EQ(full.size(), part.size());
    EXPECT_GT(full[0].item<double>(), 0.0);
    for (size_t i = 0; i < full.size(); ++i)
      EXPECT_LT((full[i] - part[i]).abs().max().item<double>(), 1e-12) << cfg.kind << " tensor " << i;
  }
}

TEST(Objective, ArShiftsByOneAndSupervisesEveryToken) {
  auto obj = make_objective(ObjectiveConfig{}, -1);
  EXPECT_TRUE(obj->causal());
  EXPECT_EQ(obj->name(), "ar");
  auto tokens = torch::arange(18, torch::kInt64).view({2, 9});
  auto gen = make_generator(1, "mask");
  EXPECT_EQ(obj->step_seq_len(8, gen), 8);
  auto b = obj->prepare(tokens, 8, gen);
  EXPECT_TRUE(b.causal);
  EXPECT_TRUE(torch::equal(b.inputs, tokens.slice(1, 0, 8)));
  EXPECT_TRUE(torch::equal(b.targets, tokens.slice(1, 1, 9)));
  EXPECT_TRUE(torch::equal(b.weights, torch::ones({2, 8})));
  auto short_b = obj->prepare(tokens, 5, gen);
  EXPECT_TRUE(torch::equal(short_b.targets, tokens.slice(1, 1, 6)));
}

TEST(Objective, ArNoiseMasksInputsAtTheRequestedRateOnly) {
  ObjectiveConfig c;
  c.kind = "ar_noise";
  c.input_noise = 0.3;
  auto obj = make_objective(c, kMask);
  EXPECT_EQ(obj->name(), "ar_noise");
  auto tokens = torch::randint(0, 50, {64, 257}, torch::kInt64);
  auto gen = make_generator(2, "mask");
  auto b = obj->prepare(tokens, 256, gen);
  double rate = (b.inputs == kMask).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(rate, 0.3, 4 * std::sqrt(0.3 * 0.7 / (64 * 256)));
  EXPECT_TRUE(torch::equal(b.targets, tokens.slice(1, 1)));
  auto kept = b.inputs != kMask;
  EXPECT_TRUE(torch::equal(b.inputs.masked_select(kept), tokens.slice(1, 0, 256).masked_select(kept)));
  EXPECT_THROW(make_objective(c, -1), Error);
}

TEST(Objective, MdmUnmaskedPositionsContributeExactlyZero) {
  auto obj = make_objective(mdm_config("inv_t"), kMask);
  EXPECT_FALSE(obj->causal());
  auto tokens = torch::randint(0, 20, {4, 17}, torch::kInt64);
  auto gen = make_generator(3, "mask");
  auto b = obj->prepare(tokens, 16, gen);
  EXPECT_FALSE(b.causal);
  auto masked = b.inputs == kMask;
  EXPECT_TRUE(torch::equal(b.targets, tokens.slice(1, 0, 16)));  // in place, last column unused
  EXPECT_TRUE(torch::equal(b.inputs.masked_select(~masked), b.targets.masked_select(~masked)));
  EXPECT_TRUE(torch::equal(b.weights == 0, ~masked));
  auto logits = torch::randn({4, 16, 100}).requires_grad_();
  auto loss = objective_loss_sum(logits, b);
  loss.backward();
  auto g_unmasked = logits.grad().index({~masked});
  EXPECT_EQ(g_unmasked.abs().max().item<double>(), 0.0);
  // Changing logits at unmasked positions changes nothing.
  auto other = logits.detach().clone();
  other.index_put_({~masked}, torch::randn_like(other.index({~masked})));
  EXPECT_EQ(objective_loss_sum(other, b).item<double>(), loss.item<double>());
}

TEST(Objective, MdmEmpiricalMaskRateMatchesT) {
  auto cfg = mdm_config("inv_t");
  MdmObjective obj(cfg, kMask);
  int64_t B = 16, L = 4000;
  auto tokens = torch::zeros({B, L + 1}, torch::kInt64);
  auto gen = make_generator(4, "mask"), twin = make_generator(4, "mask");
  auto b = obj.prepare(tokens, L, gen);
  auto t = obj.sample_t(B, twin);  // the same first draws as prepare()
  auto rate = (b.inputs == kMask).to(torch::kFloat64).mean(1);
  for (int64_t i = 0; i < B; ++i) {
    double ti = t[i].item<double>();
    EXPECT_NEAR(rate[i].item<double>(), ti, 4 * std::sqrt(ti * (1 - ti) / L) + 1e-9) << "row " << i;
    auto w = b.weights[i].masked_select(b.weights[i] > 0);
    EXPECT_TRUE(torch::allclose(w, torch::full_like(w, 1.0 / ti)));
  }
}

TEST(Objective, MdmTSampling) {
  MdmObjective ind(mdm_config("inv_t"), kMask), strat(mdm_config("inv_t", "stratified"), kMask);
  auto gen = make_generator(5, "mask");
  auto t = ind.sample_t(20000, gen);
  EXPECT_GT(t.min().item<double>(), 1e-3);
  EXPECT_LE(t.max().item<double>(), 1.0);
  EXPECT_NEAR(t.mean().item<double>(), 0.5005, 4 * 0.2887 / std::sqrt(20000.0));
  // Stratified: one point in each of the B equal strata of [ε, 1).
  auto s = std::get<0>(strat.sample_t(8, gen).sort());
  auto strata = ((s - 1e-3) / (1 - 1e-3) * 8).floor();
  EXPECT_TRUE(torch::equal(strata, torch::arange(8, torch::kFloat32)));
}

TEST(Objective, MdmInvRealisedForcesOneMaskPerRow) {
  auto cfg = mdm_config("inv_realised");
  auto obj = make_objective(cfg, kMask);
  auto tokens = torch::zeros({4000, 5}, torch::kInt64);
  auto gen = make_generator(6, "mask");
  auto b = obj->prepare(tokens, 4, gen);
  auto counts = (b.inputs == kMask).sum(1);
  EXPECT_GE(counts.min().item<int64_t>(), 1);
  EXPECT_TRUE(torch::allclose(b.weights.sum(1), torch::full({4000}, 4.0)));  // Σ mask·L/k = L
}

TEST(Objective, MdmShortSequenceSteps) {
  auto cfg = mdm_config("inv_t");
  cfg.short_seq_prob = 0.25;
  auto obj = make_objective(cfg, kMask);
  int n_short = 0, n = 2000;
  for (int step = 0; step < n; ++step) {
    auto g = make_generator(7, "step", step);
    int64_t L = obj->step_seq_len(64, g);
    auto g2 = make_generator(7, "step", step);
    EXPECT_EQ(obj->step_seq_len(64, g2), L);  // same stream, same length on every rank
    ASSERT_GE(L, 2);
    ASSERT_LE(L, 64);
    n_short += L < 64;
  }
  EXPECT_NEAR(n_short / double(n), 0.25, 4 * std::sqrt(0.25 * 0.75 / n));
}

// A toy model whose prediction ignores its input: p(x_i = v) = p[v]. For it the
// MDM ELBO is exact: E[Σ_i w_i · (−log p(x_i))] = Σ_i −log p(x_i) for inv_t
// (E[mask/t] = 1) and for inv_realised (given k ≥ 1 masked, a uniform k-subset,
// weight L/k). The Monte Carlo mean must match within its standard error.
void expect_unbiased(const ObjectiveConfig& cfg) {
  torch::manual_seed(8);
  int64_t V = 10, L = 12, R = 20000;
  auto logp = torch::log_softmax(torch::randn({V}, torch::kFloat64), 0);
  auto x = torch::randint(0, V, {1, L + 1}, torch::kInt64);
  double exact = -logp.index_select(0, x[0].slice(0, 0, L)).sum().item<double>();
  auto obj = make_objective(cfg, kMask);
  auto gen = make_generator(9, "mask");
  auto b = obj->prepare(x.expand({R, L + 1}).contiguous(), L, gen);  // R independent masks
  auto nll = -logp.index_select(0, b.targets.reshape({-1})).view({R, L});
  auto est = (b.weights.to(torch::kFloat64) * nll).sum(1);  // (R) per-row estimates
  double mean = est.mean().item<double>(), se = est.std().item<double>() / std::sqrt(double(R));
  EXPECT_NEAR(mean, exact, 4 * se) << cfg.weighting << "/" << cfg.t_sampling << " se=" << se;
  // The same through objective_loss_sum with the toy's logits.
  auto logits = logp.to(torch::kFloat32).expand({R, L, V});
  EXPECT_NEAR(objective_loss_sum(logits, b).item<double>() / R, mean, 1e-3 * exact);
}

TEST(Objective, MdmLossIsAnUnbiasedEstimateOfAnExactLikelihood) {
  expect_unbiased(mdm_config("inv_t"));
  expect_unbiased(mdm_config("inv_t", "stratified"));
  expect_unbiased(mdm_config("inv_realised"));
}

}  // namespace
}  // namespace crossover
