// Objectives: AR shifting, input noise rate, MDM masks (rate = t, unmasked
// positions contribute exactly zero), t sampling, short sequences, the MDM
// loss's mean against its exact value enumerated over every mask of a
// context-dependent toy (inv_t: the negative ELBO; inv_realised: below it), and the
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

constexpr int64_t kObjMask = 99;

ObjectiveConfig mdm_config(const std::string& weighting, const std::string& t_sampling = "independent") {
  ObjectiveConfig c;
  c.kind = ObjectiveKind::kMdm;
  c.weighting = parse_choice<Weighting>(weighting);
  c.t_sampling = parse_choice<TSampling>(t_sampling);
  return c;
}

TEST(Objective, HeadAtSupervisedPositionsOnlyEqualsTheFullHead) {
  torch::manual_seed(3);
  Transformer m(TransformerOptions(100, 16).n_layers(1).n_heads(2).max_seq_len(12));
  m->to(torch::kFloat64);
  auto tokens = torch::randint(0, kObjMask, {3, 13}, torch::kInt64);  // (B, T+1)
  auto gen = make_generator(4, "mask");
  for (const auto& cfg : {mdm_config("inv_t"), mdm_config("inv_realised"), ObjectiveConfig{}}) {
    auto obj = make_objective(cfg, kObjMask);
    ObjectiveBatch b = obj->prepare(tokens, 12, gen);
    EXPECT_EQ(b.sparse, cfg.kind == ObjectiveKind::kMdm);
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
  c.kind = ObjectiveKind::kArNoise;
  c.input_noise = 0.3;
  auto obj = make_objective(c, kObjMask);
  EXPECT_EQ(obj->name(), "ar_noise");
  auto tokens = torch::randint(0, 50, {64, 257}, torch::kInt64);
  auto gen = make_generator(2, "mask");
  auto b = obj->prepare(tokens, 256, gen);
  double rate = (b.inputs == kObjMask).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(rate, 0.3, 4 * std::sqrt(0.3 * 0.7 / (64 * 256)));
  EXPECT_TRUE(torch::equal(b.targets, tokens.slice(1, 1)));
  auto kept = b.inputs != kObjMask;
  EXPECT_TRUE(torch::equal(b.inputs.masked_select(kept), tokens.slice(1, 0, 256).masked_select(kept)));
  EXPECT_THROW(make_objective(c, -1), Error);
}

TEST(Objective, MdmUnmaskedPositionsContributeExactlyZero) {
  auto obj = make_objective(mdm_config("inv_t"), kObjMask);
  EXPECT_FALSE(obj->causal());
  auto tokens = torch::randint(0, 20, {4, 17}, torch::kInt64);
  auto gen = make_generator(3, "mask");
  auto b = obj->prepare(tokens, 16, gen);
  EXPECT_FALSE(b.causal);
  auto masked = b.inputs == kObjMask;
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
  MdmObjective obj(cfg, kObjMask);
  int64_t B = 16, L = 4000;
  auto tokens = torch::zeros({B, L + 1}, torch::kInt64);
  auto gen = make_generator(4, "mask"), twin = make_generator(4, "mask");
  auto b = obj.prepare(tokens, L, gen);
  auto t = obj.sample_t(B, twin);  // the same first draws as prepare()
  auto rate = (b.inputs == kObjMask).to(torch::kFloat64).mean(1);
  for (int64_t i = 0; i < B; ++i) {
    double ti = t[i].item<double>();
    EXPECT_NEAR(rate[i].item<double>(), ti, 4 * std::sqrt(ti * (1 - ti) / L) + 1e-9) << "row " << i;
    auto w = b.weights[i].masked_select(b.weights[i] > 0);
    EXPECT_TRUE(torch::allclose(w, torch::full_like(w, 1.0 / ti)));
  }
}

TEST(Objective, MdmTSampling) {
  MdmObjective ind(mdm_config("inv_t"), kObjMask), strat(mdm_config("inv_t", "stratified"), kObjMask);
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
  auto obj = make_objective(cfg, kObjMask);
  auto tokens = torch::zeros({4000, 5}, torch::kInt64);
  auto gen = make_generator(6, "mask");
  auto b = obj->prepare(tokens, 4, gen);
  auto counts = (b.inputs == kObjMask).sum(1);
  EXPECT_GE(counts.min().item<int64_t>(), 1);
  EXPECT_TRUE(torch::allclose(b.weights.sum(1), torch::full({4000}, 4.0)));  // Σ mask·L/k = L
}

TEST(Objective, MdmShortSequenceSteps) {
  auto cfg = mdm_config("inv_t");
  cfg.short_seq_prob = 0.25;
  auto obj = make_objective(cfg, kObjMask);
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

// A toy model that reads its context, like a model trained on the row x: it
// knows how often each token occurs in x (n_v) and, at every masked position,
// predicts the tokens not yet visible, p(v) ∝ n_v − #(visible v) + α. The more
// of the row is visible the better it predicts (one mask: nearly certain; all
// masked: x's token frequencies). (A toy that ignores its context cannot tell
// a correct weighting from any other whose mean is 1: inv_realised passed
// such a test.)
struct ContextToy {
  static constexpr int64_t V = 4;
  torch::Tensor n;  // (V) float64: token counts of the row
  double alpha = 0.3;
  explicit ContextToy(const torch::Tensor& x) {
    n = torch::zeros({V}, torch::kFloat64).index_add_(0, x, torch::ones({x.size(0)}, torch::kFloat64));
  }
  // inputs (R, L), kObjMask at masked positions -> log p (R, V), one per row.
  torch::Tensor logp(const torch::Tensor& inputs) const {
    std::vector<torch::Tensor> visible;
    for (int64_t v = 0; v < V; ++v) visible.push_back((inputs == v).sum(1));
    auto left = n - torch::stack(visible, 1).to(torch::kFloat64);  // (R, V)
    return torch::log_softmax(torch::log(left + alpha), 1);
  }
  // −log p (R, L) of targets (R, L).
  torch::Tensor nll(const torch::Tensor& inputs, const torch::Tensor& targets) const {
    return -logp(inputs).gather(1, targets);
  }
};

// (1/(1−ε)) ∫_ε^1 t^a (1−t)^b dt, t ~ U(ε, 1]: the probability of one
// particular mask with a masked and b kept tokens; with a one less than the
// masked count, E[1{that mask}/t].
double mask_prob(int64_t a, int64_t b, double eps) {
  double s = 0, binom = 1;
  for (int64_t j = 0; j <= b; ++j) {
    s += binom * ((j % 2) ? -1.0 : 1.0) * (1.0 - std::pow(eps, a + j + 1)) / (a + j + 1);
    binom = binom * (b - j) / (j + 1);
  }
  return s / (1.0 - eps);
}

// The exact means of both weightings for one row x (L), enumerated over all
// 2^L masks: inv_t's is the negative ELBO, Σ_S E[1/t·1{S}] f(S); inv_realised's
// is Σ_{S≠∅} P(S)·(L/|S|)·f(S) + P(∅)·Σ_i f({i}) (an empty mask becomes one
// uniformly placed mask of weight L).
void exact_means(const ContextToy& toy, const torch::Tensor& x, double eps, double* inv_t,
                 double* inv_realised) {
  const int64_t L = x.size(0);
  *inv_t = 0;
  *inv_realised = 0;
  for (int64_t bits = 1; bits < (1 << L); ++bits) {
    auto mask = torch::zeros({L}, torch::kBool);
    for (int64_t i = 0; i < L; ++i) mask[i] = ((bits >> i) & 1) != 0;
    const int64_t k = mask.sum().item<int64_t>();
    auto inputs = torch::where(mask, torch::full({}, kObjMask, torch::kInt64), x).unsqueeze(0);
    double f = (toy.nll(inputs, x.unsqueeze(0))[0] * mask.to(torch::kFloat64)).sum().item<double>();
    *inv_t += mask_prob(k - 1, L - k, eps) * f;
    *inv_realised += mask_prob(k, L - k, eps) * static_cast<double>(L) / k * f;
    if (k == 1) *inv_realised += mask_prob(0, L, eps) * f;
  }
}

// The Monte Carlo mean of Σ w·(−log p) over R masks of one row must match the
// exact mean of its weighting within 4 standard errors, and the two exact
// means must differ by far more than that, so swapping (or otherwise breaking)
// the weighting fails.
void expect_exact_mean(const ObjectiveConfig& cfg) {
  const int64_t L = 8, R = 80000;
  auto x = torch::tensor({0, 1, 0, 2, 0, 1, 3, 0, /*unused (T+1):*/ 0}, torch::kInt64);
  const ContextToy toy(x.narrow(0, 0, L));
  double exact_t = 0, exact_realised = 0;
  exact_means(toy, x.narrow(0, 0, L), cfg.mask_eps, &exact_t, &exact_realised);
  auto obj = make_objective(cfg, kObjMask);
  auto gen = make_generator(9, "mask");
  auto b = obj->prepare(x.unsqueeze(0).expand({R, L + 1}).contiguous(), L, gen);  // R masks
  auto nll = toy.nll(b.inputs, b.targets);                                        // (R, L)
  auto est = (b.weights.to(torch::kFloat64) * nll).sum(1);                        // (R)
  double mean = est.mean().item<double>(), se = est.std().item<double>() / std::sqrt(double(R));
  const double exact = cfg.weighting == Weighting::kInvT ? exact_t : exact_realised;
  EXPECT_NEAR(mean, exact, 4 * se) << cfg.weighting << "/" << cfg.t_sampling << " se=" << se
                                    << " (−ELBO " << exact_t << ", inv_realised mean "
                                    << exact_realised << ")";
  EXPECT_GT(exact_t - exact_realised, 8 * se) << "the toy cannot tell the weightings apart";
  // The same through objective_loss_sum with the toy's logits (float32).
  auto logits = toy.logp(b.inputs).unsqueeze(1).expand({R, L, ContextToy::V});  // (R, L, V)
  EXPECT_NEAR(objective_loss_sum(logits.to(torch::kFloat32), b).item<double>() / R, mean,
              1e-3 * exact);
}

// inv_t is an unbiased estimate of the negative ELBO; inv_realised (the
// paper's code) is biased low: its empty rows come back as one-mask rows,
// the best-predicted kind (mdm_objective.h).
TEST(Objective, MdmLossMeansMatchTheirExactValuesOnAContextDependentToy) {
  expect_exact_mean(mdm_config("inv_t"));
  expect_exact_mean(mdm_config("inv_t", "stratified"));
  expect_exact_mean(mdm_config("inv_realised"));
}

}  // namespace
}  // namespace crossover
