// Validation loss against hand computations and outside truths. AR: the mean
// −log p of x_1..x_T read off full logits, and the chain rule evaluated one
// prefix at a time with a hand-written log-softmax. MDM: the documented
// estimator rebuilt here from the full head and masks drawn from the
// (validation seed, window) generators — which also makes it independent of
// how windows are batched — and, with many samples, the exact negative ELBO
// enumerated over every mask of a tiny model. Both score the same targets: the
// MDM value ignores each window's first token x_0.
#include "crossover/eval/validation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "crossover/util/rng.h"

namespace crossover {
namespace {

constexpr int64_t kValMask = 49;

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(11);
    model_ = Transformer(TransformerOptions(50, 16).n_layers(2).n_heads(2).max_seq_len(16)
                             .init_std(0.3));
    model_->to(torch::kFloat64);
    windows_ = torch::randint(0, kValMask, {7, 17}, torch::kInt64);  // (n, T+1)
  }
  // The 7 windows in batches of `size` rows (the last shorter).
  std::vector<torch::Tensor> batches(int64_t size) const {
    std::vector<torch::Tensor> out;
    for (int64_t s = 0; s < windows_.size(0); s += size)
      out.push_back(windows_.narrow(0, s, std::min(size, windows_.size(0) - s)));
    return out;
  }
  ValidationOptions mdm(int64_t K) const {
    ValidationOptions o;
    o.paradigm = Paradigm::masked_diffusion(1e-3);
    o.mc_samples = K;
    o.mask_id = kValMask;
    return o;
  }
  Transformer model_{nullptr};
  torch::Tensor windows_;
};

TEST_F(ValidationTest, ArIsTheMeanNllOfTheNextTokens) {
  ValidationResult r = evaluate_validation(model_, batches(3), ValidationOptions(), torch::kCPU);
  const int64_t T = 16;
  auto lp = torch::log_softmax(model_->forward(windows_.narrow(1, 0, T), true).logits, -1);
  double expect = -lp.gather(-1, windows_.narrow(1, 1, T).unsqueeze(-1)).mean().item<double>();
  EXPECT_NEAR(r.loss, expect, 1e-12);
  EXPECT_EQ(r.tokens, 7 * T);
  EXPECT_EQ(r.loss_se, 0.0);
}

TEST_F(ValidationTest, MdmIsTheDocumentedEstimatorOnTheSameTargets) {
  const int64_t K = 3, T = 16;
  const double eps = 1e-3;
  ValidationResult r = evaluate_validation(model_, batches(4), mdm(K), torch::kCPU);
  // By hand: window w draws u, then (K, T) uniforms, from (kValidationSeed, "val_window", w).
  std::vector<double> per_k(K, 0.0);
  for (int64_t w = 0; w < windows_.size(0); ++w) {
    auto gen = make_generator(kValidationSeed, "val_window", w);
    double u = torch::rand({1}, gen, torch::kFloat64).item<double>();
    auto rr = torch::rand({K, T}, gen, torch::kFloat64);
    auto x0 = windows_[w].narrow(0, 1, T);  // x_1..x_T
    for (int64_t k = 0; k < K; ++k) {
      double f = u + static_cast<double>(k) / K;
      double t = eps + (1 - eps) * (f - std::floor(f));
      auto m = rr[k] < t;
      auto in = torch::where(m, torch::full({}, kValMask, torch::kInt64), x0).unsqueeze(0);
      auto lp = torch::log_softmax(model_->forward(in, false).logits[0], -1);  // (T, V), full head
      auto nll = -lp.gather(-1, x0.unsqueeze(-1)).squeeze(-1);
      per_k[k] += (nll * m.to(torch::kFloat64)).sum().item<double>() / t;
    }
  }
  auto v = torch::tensor(per_k, torch::kFloat64) / static_cast<double>(windows_.size(0) * T);
  EXPECT_NEAR(r.loss, v.mean().item<double>(), 1e-10);
  EXPECT_NEAR(r.loss_se, v.std().item<double>() / std::sqrt(static_cast<double>(K)), 1e-10);
  EXPECT_EQ(r.tokens, windows_.size(0) * T);  // as many targets as AR
  // Same targets as AR: x_0 is never scored nor seen, x_T is.
  auto changed = windows_.clone();
  changed.select(1, 0).fill_(7);
  auto c = evaluate_validation(model_, {changed}, mdm(K), torch::kCPU);
  EXPECT_NEAR(c.loss, r.loss, 1e-10);
  changed.select(1, T).fill_(7);
  c = evaluate_validation(model_, {changed}, mdm(K), torch::kCPU);
  EXPECT_GT(std::abs(c.loss - r.loss), 1e-6);
}

TEST_F(ValidationTest, MdmValueDoesNotDependOnTheBatchSize) {
  ValidationResult a = evaluate_validation(model_, batches(7), mdm(4), torch::kCPU);
  ValidationResult b = evaluate_validation(model_, batches(2), mdm(4), torch::kCPU);
  EXPECT_NEAR(a.loss, b.loss, 1e-12);
  EXPECT_NEAR(a.loss_se, b.loss_se, 1e-12);
  EXPECT_GT(a.loss_se, 0.0);
}

// (1/(1−ε)) ∫_ε^1 t^(k−1) (1−t)^(T−k) dt, t ~ U[ε, 1): E[1{one particular
// mask of k tokens}/t] (binomial expansion of (1−t)^(T−k)).
double inv_t_mask_weight(int64_t k, int64_t T, double eps) {
  double s = 0, binom = 1;
  for (int64_t j = 0; j <= T - k; ++j) {
    s += binom * ((j % 2) ? -1.0 : 1.0) * (1.0 - std::pow(eps, k + j)) / (k + j);
    binom = binom * (T - k - j) / (j + 1);
  }
  return s / (1.0 - eps);
}

// A tiny model (vocabulary 4 + [MASK], T = 3) with large weights, so its
// predictions depend strongly on which tokens are visible.
Transformer tiny_model() {
  torch::manual_seed(5);
  Transformer m(TransformerOptions(5, 8).n_layers(1).n_heads(2).max_seq_len(4).init_std(1.0));
  m->to(torch::kFloat64);
  m->eval();
  return m;
}

TEST(ValidationExact, MdmConvergesToTheEnumeratedNegativeElbo) {
  torch::NoGradGuard no_grad;
  const int64_t T = 3, mask = 4, K = 4000;
  const double eps = 1e-3;
  Transformer m = tiny_model();
  auto windows = torch::tensor({0, 1, 2, 1, 3, 3, 0, 3, 2, 2, 2, 0, 1, 0, 1, 1}, torch::kInt64)
                     .view({4, T + 1});  // (n, T+1)
  // −ELBO = Σ_{S≠∅} E[1{S}/t] Σ_{i∈S} −log p(x_i | x with S masked), per window.
  double exact = 0;
  for (int64_t w = 0; w < windows.size(0); ++w) {
    auto x = windows[w].narrow(0, 1, T);
    for (int64_t bits = 1; bits < (1 << T); ++bits) {
      auto s = torch::zeros({T}, torch::kBool);
      for (int64_t i = 0; i < T; ++i) s[i] = ((bits >> i) & 1) != 0;
      auto in = torch::where(s, torch::full({}, mask, torch::kInt64), x).unsqueeze(0);
      auto lp = torch::log_softmax(m->forward(in, /*causal=*/false).logits[0], -1);  // (T, V)
      double f = -(lp.gather(-1, x.unsqueeze(-1)).squeeze(-1) * s.to(torch::kFloat64)).sum()
                      .item<double>();
      exact += inv_t_mask_weight(s.sum().item<int64_t>(), T, eps) * f;
    }
  }
  exact /= static_cast<double>(windows.size(0) * T);
  ValidationOptions o;
  o.paradigm = Paradigm::masked_diffusion(eps);
  o.mc_samples = K;
  o.mask_id = mask;
  ValidationResult r = evaluate_validation(m, {windows}, o, torch::kCPU);
  // loss_se ignores the stratification's variance reduction, so 4 of them is generous;
  // still far below the ~25% a weighting of L/k or 1 instead of 1/t would be off by.
  EXPECT_NEAR(r.loss, exact, 4 * r.loss_se) << "se " << r.loss_se;
  EXPECT_LT(r.loss_se, 0.02 * exact);
}

TEST(ValidationExact, ArIsTheChainRuleOneTokenAtATime) {
  torch::NoGradGuard no_grad;
  Transformer m = tiny_model();
  auto windows = torch::tensor({0, 1, 2, 1, 3, 3, 0, 3, 2, 2, 2, 0}, torch::kInt64).view({3, 4});
  // Σ_w Σ_i −log p(x_i | x_0..x_{i−1}): each prefix on its own, its last logits
  // normalised by hand (no causal mask, shift or batching involved).
  double nll = 0;
  for (int64_t w = 0; w < windows.size(0); ++w)
    for (int64_t i = 1; i < windows.size(1); ++i) {
      auto logits = m->forward(windows[w].narrow(0, 0, i).unsqueeze(0), /*causal=*/true).logits;
      auto z = logits[0][i - 1];  // (V)
      double log_norm = std::log(torch::exp(z).sum().item<double>());
      nll += log_norm - z[windows[w][i].item<int64_t>()].item<double>();
    }
  ValidationResult r = evaluate_validation(m, {windows}, ValidationOptions(), torch::kCPU);
  EXPECT_NEAR(r.loss, nll / 9.0, 1e-12);
  EXPECT_EQ(r.tokens, 9);
  EXPECT_NEAR(r.bpb, r.loss / std::log(2.0), 1e-15);  // bytes_per_token 1
}

}  // namespace
}  // namespace crossover
