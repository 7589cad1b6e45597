// Conditional log-likelihoods. AR: equal to the sum of per-token log-probs
// read straight off the model's logits, whatever the batching. MDM: a
// deterministic function of the seed; exact for one-token answers; its
// stratified estimate converges to the ELBO computed by enumerating every mask
// subset; its spread over seeds shrinks like 1/√K. Tokenisation follows lm-eval.
#include "crossover/eval/loglikelihood.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace crossover {
namespace {

class LoglikTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tok_ = make_byte_tokenizer();
    torch::manual_seed(17);
    model_ = Transformer(TransformerOptions(260, 16).n_layers(2).n_heads(2).max_seq_len(48)
                             .init_std(0.3));
    model_->to(torch::kFloat64);
    model_->eval();
  }
  LoglikRequest req(const std::string& ctx, const std::string& cont, int64_t max_tokens = 49) {
    return make_loglik_request(*tok_, ctx, cont, max_tokens);
  }
  std::unique_ptr<Tokenizer> tok_;
  Transformer model_{nullptr};
};

std::vector<int64_t> bytes(const std::string& s) { return std::vector<int64_t>(s.begin(), s.end()); }

TEST_F(LoglikTest, TokenisationFollowsLmEval) {
  auto r = req("Question: 2+2?\nAnswer: ", "4");  // trailing space moves to the continuation
  EXPECT_EQ(r.tokens, bytes("Question: 2+2?\nAnswer: 4"));
  EXPECT_EQ(r.n_context, 22);
  EXPECT_EQ(r.continuation_tokens(), 2);
  auto e = req("", " hello");  // empty context: one EOS
  EXPECT_EQ(e.tokens[0], tok_->eos_id());
  EXPECT_EQ(e.n_context, 1);
  auto t = req("0123456789abcdef", " xyz", 10);  // keep the rightmost 10 tokens
  EXPECT_EQ(t.tokens, bytes("abcdef xyz"));
  EXPECT_EQ(t.n_context, 6);
  EXPECT_THROW(req("ab", std::string(60, 'x')), std::exception);
}

TEST_F(LoglikTest, ArEqualsSumOfTokenLogProbsFromLogits) {
  std::vector<LoglikRequest> rs = {req("def f(x):", " return x"), req("import", " os"),
                                   req("class A:\n    ", "pass"), req(std::string(70, 'z'), " end")};
  for (int64_t tokens : {8192, 20}) {  // one batch, or one request per forward
    LoglikOptions o;
    o.max_batch_tokens = tokens;
    auto ll = compute_logliks(model_, rs, o, torch::kCPU);
    for (size_t i = 0; i < rs.size(); ++i) {
      auto x = torch::tensor(rs[i].tokens, torch::kInt64).unsqueeze(0);  // (1, n)
      const int64_t n = x.size(1);
      auto lp = torch::log_softmax(model_->forward(x.narrow(1, 0, n - 1), true).logits, -1)[0];
      double expect = 0;
      for (int64_t j = rs[i].n_context; j < n; ++j)
        expect += lp[j - 1][rs[i].tokens[j]].item<double>();
      EXPECT_NEAR(ll[i], expect, 1e-9) << "request " << i << " batch tokens " << tokens;
    }
  }
}

TEST_F(LoglikTest, MdmOneTokenAnswerIsExact) {
  auto r = req("x = 1 +", " 2");
  r.tokens.pop_back();  // continuation " 2" -> keep just " " so L = 1
  ASSERT_EQ(r.continuation_tokens(), 1);
  LoglikOptions o;
  o.diffusion = true;
  o.mc_samples = 128;
  o.mask_id = tok_->mask_id();
  double ll = compute_logliks(model_, {r}, o, torch::kCPU)[0];
  auto x = torch::tensor(r.tokens, torch::kInt64).unsqueeze(0);
  auto inputs = x.clone();
  inputs[0][-1] = tok_->mask_id();
  auto lp = torch::log_softmax(model_->forward(inputs, false).logits, -1)[0];
  EXPECT_NEAR(ll, lp[-1][r.tokens.back()].item<double>(), 1e-10);
}

// The exact conditional ELBO for L continuation tokens: l uniform on 1..L, the
// masked set uniform among l-subsets, weight L/l — by enumerating every subset.
double exact_elbo(Transformer& m, const LoglikRequest& r, int64_t mask_id) {
  const int64_t L = r.continuation_tokens();
  std::vector<double> by_l(L + 1, 0.0);
  std::vector<int64_t> count(L + 1, 0);
  for (int64_t bits = 1; bits < (1 << L); ++bits) {
    auto x = torch::tensor(r.tokens, torch::kInt64).unsqueeze(0);
    int64_t l = 0;
    for (int64_t j = 0; j < L; ++j)
      if (bits >> j & 1) {
        x[0][r.n_context + j] = mask_id;
        ++l;
      }
    auto lp = torch::log_softmax(m->forward(x, false).logits, -1)[0];
    double nll = 0;
    for (int64_t j = 0; j < L; ++j)
      if (bits >> j & 1) nll -= lp[r.n_context + j][r.tokens[r.n_context + j]].item<double>();
    by_l[l] += nll * static_cast<double>(L) / static_cast<double>(l);
    count[l] += 1;
  }
  double elbo = 0;
  for (int64_t l = 1; l <= L; ++l) elbo += by_l[l] / static_cast<double>(count[l]) / L;
  return -elbo;
}

TEST_F(LoglikTest, MdmConvergesToEnumeratedElboAndIsDeterministic) {
  auto r = req("for i in", " ab");  // L = 3
  ASSERT_EQ(r.continuation_tokens(), 3);
  LoglikOptions o;
  o.diffusion = true;
  o.mc_samples = 600;  // a multiple of L: every l gets exactly N/L samples
  o.mask_id = tok_->mask_id();
  double est = compute_logliks(model_, {r}, o, torch::kCPU)[0];
  double exact = exact_elbo(model_, r, tok_->mask_id());
  EXPECT_NEAR(est, exact, 0.01 * std::abs(exact));
  // Same seed: same value, however the rows are batched; another seed: another value.
  auto r2 = req("while", " True:");
  r2.item = 3;
  o.mc_samples = 32;
  auto a = compute_logliks(model_, {r, r2}, o, torch::kCPU);
  o.max_batch_tokens = 30;
  auto b = compute_logliks(model_, {r2, r}, o, torch::kCPU);
  EXPECT_NEAR(a[0], b[1], 1e-10);
  EXPECT_NEAR(a[1], b[0], 1e-10);
  o.seed = 99;
  EXPECT_NE(compute_logliks(model_, {r}, o, torch::kCPU)[0], a[0]);
}

TEST_F(LoglikTest, MdmSpreadShrinksLikeOneOverSqrtK) {
  auto r = req("def main():\n", "    retu");  // L = 8
  auto spread = [&](int64_t K) {
    LoglikOptions o;
    o.diffusion = true;
    o.mc_samples = K;
    o.mask_id = tok_->mask_id();
    std::vector<double> v;
    for (uint64_t s = 0; s < 40; ++s) {
      o.seed = 1000 + s;
      v.push_back(compute_logliks(model_, {r}, o, torch::kCPU)[0]);
    }
    return torch::tensor(v, torch::kFloat64).std().item<double>();
  };
  double s4 = spread(4), s16 = spread(16);
  // Expect s4 / s16 ≈ √(16/4) = 2 (stratifying l can only help); 40 seeds per std.
  EXPECT_GT(s4 / s16, 1.4) << s4 << " " << s16;
  EXPECT_LT(s4 / s16, 3.2) << s4 << " " << s16;
}

}  // namespace
}  // namespace crossover
