// The scoring service (eval/loglik_service.h) on a small random model with the
// byte tokenizer. AR: answers equal compute_logliks on the same requests (se
// 0, one sample) and is_greedy equals an argmax read off the logits by hand;
// rolling windows are lm-eval's get_rolling_token_windows + make_disjoint_window
// (context_len 1; the values printed by lm_eval.utils 0.4.13), and the rolling
// log-likelihood is the sum of per-token log-probs over those windows. MDM: the Monte Carlo estimate equals
// evaluate_task's for the same item index, and the numbers do not depend on
// request order. The serve loop answers a malformed line with one error line
// and serves the next.
#include "crossover/eval/loglik_service.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

namespace crossover {
namespace {

class LoglikServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tok_ = make_byte_tokenizer();
    torch::manual_seed(23);
    model_ = Transformer(TransformerOptions(260, 16).n_layers(2).n_heads(2).max_seq_len(16)
                             .init_std(0.3));
    model_->to(torch::kFloat64);
    model_->eval();
  }
  LoglikOptions ar() const { return LoglikOptions{}; }
  LoglikOptions mdm(int64_t n) const {
    LoglikOptions o;
    o.paradigm = Paradigm::masked_diffusion();
    o.mask_id = tok_->mask_id();
    o.mc_samples = n;
    return o;
  }
  LoglikQuery q(const std::string& ctx, const std::string& cont, int64_t item = -1) {
    LoglikQuery x;
    x.context = ctx;
    x.continuation = cont;
    x.item = item;
    return x;
  }
  std::unique_ptr<Tokenizer> tok_;
  Transformer model_{nullptr};
};

TEST(RollingWindows, AreLmEvalsDisjointWindowsWithContextLenOne) {
  // [make_disjoint_window(w) for w in get_rolling_token_windows(list(range(1, 11)), 0, 4, 1)]
  //   = [([0], [1, 2, 3, 4]), ([4], [5, 6, 7, 8]), ([6, 7, 8], [9, 10])]   (max_seq_len 4:
  // AR max_tokens 5). The last, short window keeps as much context as fits.
  std::vector<int64_t> t = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  auto w = rolling_windows(t, 0, 5);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].tokens, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(w[1].tokens, (std::vector<int64_t>{4, 5, 6, 7, 8}));
  EXPECT_EQ(w[2].tokens, (std::vector<int64_t>{6, 7, 8, 9, 10}));
  EXPECT_EQ(w[0].n_context, 1);
  EXPECT_EQ(w[1].n_context, 1);
  EXPECT_EQ(w[2].n_context, 3);
  // ... (list(range(1, 9)), 0, 4, 1) = [([0], [1, 2, 3, 4]), ([4], [5, 6, 7, 8])]; ([7], 0, 4, 1) = [([0], [7])]
  EXPECT_EQ(rolling_windows({1, 2, 3, 4, 5, 6, 7, 8}, 0, 5).size(), 2u);
  ASSERT_EQ(rolling_windows({7}, 0, 5).size(), 1u);
  EXPECT_EQ(rolling_windows({7}, 0, 5)[0].tokens, (std::vector<int64_t>{0, 7}));
}

TEST_F(LoglikServiceTest, ArAnswersAreComputeLogliksAndGreedyIsTheArgmax) {
  LoglikService s(model_, *tok_, ar(), 16, torch::kCPU);
  std::vector<LoglikQuery> qs = {q("the cat", " sat"), q("", "hello"), q("ab  ", "c")};
  std::vector<LoglikAnswer> a;
  std::vector<std::string> err;
  s.score(qs, &a, &err);
  for (size_t i = 0; i < qs.size(); ++i) {
    ASSERT_TRUE(err[i].empty()) << err[i];
    auto r = make_loglik_request(*tok_, qs[i].context, qs[i].continuation, 17);
    const double want = compute_logliks(model_, {r}, ar(), torch::kCPU)[0];
    EXPECT_NEAR(a[i].loglik, want, 1e-12);
    EXPECT_EQ(a[i].se, 0.0);
    EXPECT_EQ(a[i].samples, 1);
    EXPECT_EQ(a[i].tokens, r.continuation_tokens());
    // is_greedy by hand: argmax of the logits at each continuation position.
    auto x = torch::tensor(r.tokens, torch::kInt64).unsqueeze(0);
    auto logits = model_->forward(x.narrow(1, 0, x.size(1) - 1), true).logits[0];  // (T, V)
    bool greedy = true;
    for (int64_t p = r.n_context - 1; p < x.size(1) - 1; ++p)
      greedy = greedy && logits[p].argmax().item<int64_t>() == r.tokens[p + 1];
    EXPECT_EQ(a[i].is_greedy, greedy);
  }
  // A continuation that is its own argmax: make one from the model's greedy choice.
  auto x = torch::tensor(tok_->encode("the cat"), torch::kInt64).unsqueeze(0);
  const int64_t next = model_->forward(x, true).logits[0][-1].argmax().item<int64_t>();
  if (next < 256) {
    s.score({q("the cat", std::string(1, static_cast<char>(next)))}, &a, &err);
    if (err[0].empty()) {
      EXPECT_TRUE(a[0].is_greedy);
    }
  }
}

TEST_F(LoglikServiceTest, ArRollingIsTheSumOfTokenLogProbsOverWindows) {
  LoglikService s(model_, *tok_, ar(), 16, torch::kCPU);
  LoglikQuery r;
  r.rolling = true;
  r.text = "a text longer than one sixteen-token window";  // 43 bytes: 3 windows
  std::vector<LoglikAnswer> a;
  std::vector<std::string> err;
  s.score({r}, &a, &err);
  ASSERT_TRUE(err[0].empty()) << err[0];
  EXPECT_EQ(a[0].windows, 3);
  EXPECT_EQ(a[0].tokens, 43);
  // By hand: text tokens [16k, 16k+16) scored given the 17 − len tokens before them
  // (EOS before the first window): windows [EOS, 0..15], [15, 16..31], [26..31, 32..42].
  std::vector<int64_t> t = {tok_->eos_id()};
  for (int32_t id : tok_->encode(r.text)) t.push_back(id);  // t[i + 1] = text token i
  double want = 0;
  for (size_t start = 1; start < t.size(); start += 16) {
    const size_t end = std::min(t.size(), start + 16);
    const size_t ctx = start == 1 ? 0 : std::max<size_t>(1, end - 17);
    std::vector<int64_t> w(t.begin() + static_cast<int64_t>(ctx), t.begin() + static_cast<int64_t>(end));
    auto x = torch::tensor(w, torch::kInt64).unsqueeze(0);
    auto lp = torch::log_softmax(model_->forward(x.narrow(1, 0, x.size(1) - 1), true).logits[0], -1);
    for (size_t p = start - 1 - ctx; p + 1 < w.size(); ++p)
      want += lp[static_cast<int64_t>(p)][w[p + 1]].item<double>();
  }
  EXPECT_NEAR(a[0].loglik, want, 1e-9);
}

TEST_F(LoglikServiceTest, MdmEstimatesDoNotDependOnRequestOrderAndShareDrawsPerItem) {
  LoglikService s(model_, *tok_, mdm(32), 16, torch::kCPU);
  std::vector<LoglikQuery> qs = {q("one two", " three"), q("one two", " four"), q("x", " yz", 7),
                                 q("", "abc")};
  std::vector<LoglikAnswer> a, b;
  std::vector<std::string> err;
  s.score(qs, &a, &err);
  std::vector<LoglikQuery> rev(qs.rbegin(), qs.rend());
  s.score(rev, &b, &err);
  for (size_t i = 0; i < qs.size(); ++i) {
    EXPECT_EQ(a[i].loglik, b[qs.size() - 1 - i].loglik) << i;
    EXPECT_EQ(a[i].se, b[qs.size() - 1 - i].se);
    EXPECT_EQ(a[i].samples, 32);
    EXPECT_GT(a[i].se, 0.0);
    EXPECT_FALSE(a[i].is_greedy);  // defined false for MDM (loglik_service.h)
  }
  // item 7: the same draws as compute_logliks on a request of item 7 (what
  // evaluate_task scores for the task's 8th item).
  auto r = make_loglik_request(*tok_, "x", " yz", 16);
  r.item = 7;
  std::vector<std::vector<double>> smp;
  const double want = compute_logliks(model_, {r}, mdm(32), torch::kCPU, &smp)[0];
  EXPECT_NEAR(a[2].loglik, want, 1e-12);
}

TEST_F(LoglikServiceTest, ServeAnswersAMalformedLineWithOneErrorAndServesTheNext) {
  LoglikService s(model_, *tok_, ar(), 16, torch::kCPU);
  std::istringstream in(
      "{\"id\": 1, \"context\": \"ab\", \"continuation\": \" c\"}\n"
      "{\"id\": 2, \"context\": \"ab\"\n"  // truncated JSON
      "{\"id\": 3, \"context\": 5, \"continuation\": \"x\"}\n"  // wrong type
      "[{\"id\": 4, \"context\": \"q\", \"continuation\": \" r\"}, {\"id\": 5, \"type\": \"nope\"}]\n"
      "{\"id\": 6, \"context\": \"ab\", \"continuation\": \"" + std::string(40, 'z') + "\"}\n"  // too long
      "\n"
      "{\"id\": 7, \"type\": \"loglikelihood_rolling\", \"text\": \"hello\"}\n");
  std::ostringstream out;
  EXPECT_EQ(serve_loglik(in, out, s), 4);
  std::istringstream lines(out.str());
  std::vector<nlohmann::json> got;
  for (std::string l; std::getline(lines, l);) got.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(got[0]["id"], 1);
  EXPECT_TRUE(got[0].contains("loglik"));
  EXPECT_TRUE(got[1]["id"].is_null());
  EXPECT_NE(got[1]["error"].get<std::string>().find("malformed JSON"), std::string::npos);
  EXPECT_EQ(got[2]["id"], 3);
  EXPECT_NE(got[2]["error"].get<std::string>().find("\"context\" must be a string"), std::string::npos);
  EXPECT_EQ(got[3]["id"], 4);
  EXPECT_TRUE(got[3].contains("loglik"));
  EXPECT_EQ(got[4]["id"], 5);
  EXPECT_NE(got[4]["error"].get<std::string>().find("'nope'"), std::string::npos);
  EXPECT_EQ(got[5]["id"], 6);
  EXPECT_NE(got[5]["error"].get<std::string>().find("does not fit"), std::string::npos);
  EXPECT_EQ(got[6]["id"], 7);
  EXPECT_EQ(got[6]["windows"], 1);
  EXPECT_EQ(got[6]["tokens"], 5);
}

}  // namespace
}  // namespace crossover
