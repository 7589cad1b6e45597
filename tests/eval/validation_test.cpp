// Validation loss against hand computations. AR: the mean −log p of x_1..x_T
// read off full logits. MDM: the documented estimator rebuilt here from the
// full head and masks drawn from the (validation seed, window) generators —
// which also makes it independent of how windows are batched. Both score the
// same targets: the MDM value ignores each window's first token x_0.
#include "crossover/eval/validation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "crossover/util/rng.h"

namespace crossover {
namespace {

constexpr int64_t kMask = 49;

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(11);
    model_ = Transformer(TransformerOptions(50, 16).n_layers(2).n_heads(2).max_seq_len(16)
                             .init_std(0.3));
    model_->to(torch::kFloat64);
    windows_ = torch::randint(0, kMask, {7, 17}, torch::kInt64);  // (n, T+1)
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
    o.diffusion = true;
    o.mc_samples = K;
    o.mask_id = kMask;
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
      auto in = torch::where(m, torch::full({}, kMask, torch::kInt64), x0).unsqueeze(0);
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

}  // namespace
}  // namespace crossover
