// Code-generation scoring with a model: the AR canonical-solution NLL equals
// −Σ log p read straight off the model's logits (with and without
// truncation); the DLM's is seeded and carries a Monte Carlo standard error;
// generation is reproducible from the seed and respects the context; the
// solution request keeps the solution's head and the prompt's tail.
#include "crossover/eval/codegen.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "crossover/util/check.h"

namespace crossover {
namespace {

class CodegenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tok_ = make_byte_tokenizer();
    torch::manual_seed(5);
    model_ = Transformer(TransformerOptions(260, 16).n_layers(2).n_heads(2).max_seq_len(48).init_std(0.3));
    model_->to(torch::kFloat64);
    model_->eval();
    task_.name = "toy";
    task_.problems = {
        {"p0", "def f(x):\n", "    return x + 1\n", "assert f(1) == 2\n", "", {"\ndef"}},
        {"p1", "# a long prompt that does not fit " + std::string(60, '#') + "\ndef g():\n",
         "    return [i * i for i in range(10)] + [42]\n", "assert g()[-1] == 42\n", "", {"\ndef"}},
        {"p2", "import os\n", "", "pass\n", "", {}}};  // no canonical solution: not scored
  }
  std::unique_ptr<Tokenizer> tok_;
  Transformer model_{nullptr};
  CodegenTask task_;
};

TEST_F(CodegenTest, SolutionRequestKeepsSolutionHeadAndPromptTail) {
  bool truncated = true;
  auto r0 = make_solution_request(*tok_, task_.problems[0], 48, &truncated);
  EXPECT_FALSE(truncated);
  EXPECT_EQ(r0.n_context, 9);  // "def f(x):" (its trailing newline moves to the solution)
  EXPECT_EQ(r0.continuation_tokens(), 18);
  auto r1 = make_solution_request(*tok_, task_.problems[1], 48, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(static_cast<int64_t>(r1.tokens.size()), 48);
  EXPECT_EQ(r1.continuation_tokens(), 24);  // half the context
  const std::string cont(r1.tokens.begin() + r1.n_context, r1.tokens.end());
  EXPECT_EQ(cont, std::string("\n    return [i * i for i in range(10)] + [42]\n").substr(0, 24));
  const std::string ctx(r1.tokens.begin(), r1.tokens.begin() + r1.n_context);
  EXPECT_EQ(ctx, std::string("#\ndef g():").insert(0, 14, '#'));  // the prompt's last 24 tokens
}

TEST_F(CodegenTest, ArNllEqualsLogProbsFromLogits) {
  LoglikOptions lo;
  SolutionNll nll = canonical_solution_nll(model_, *tok_, task_, lo, 48, torch::kCPU);
  EXPECT_EQ(nll.problems, 2);
  EXPECT_EQ(nll.problems_truncated, 1);
  EXPECT_EQ(nll.nll_se, 0.0);
  double total = 0;
  int64_t tokens = 0;
  for (int i = 0; i < 2; ++i) {
    bool truncated = false;
    auto r = make_solution_request(*tok_, task_.problems[i], 48, &truncated);
    auto x = torch::tensor(r.tokens, torch::kInt64).unsqueeze(0);  // (1, n)
    const int64_t n = x.size(1);
    auto lp = torch::log_softmax(model_->forward(x.narrow(1, 0, n - 1), true).logits, -1)[0];  // (n-1, V)
    double nll_i = 0;
    for (int64_t j = r.n_context; j < n; ++j) nll_i -= lp[j - 1][r.tokens[j]].item<double>();
    EXPECT_NEAR(nll.per_problem[i], nll_i / static_cast<double>(n - r.n_context), 1e-9);
    total += nll_i;
    tokens += n - r.n_context;
  }
  EXPECT_EQ(nll.tokens, tokens);
  EXPECT_NEAR(nll.nll, total / static_cast<double>(tokens), 1e-9);
}

TEST_F(CodegenTest, MdmNllIsSeededWithAStandardError) {
  LoglikOptions lo;
  lo.paradigm = Paradigm::masked_diffusion();
  lo.mc_samples = 16;
  lo.mask_id = tok_->mask_id();
  auto a = canonical_solution_nll(model_, *tok_, task_, lo, 48, torch::kCPU);
  auto b = canonical_solution_nll(model_, *tok_, task_, lo, 48, torch::kCPU);
  EXPECT_EQ(a.nll, b.nll);
  EXPECT_GT(a.nll_se, 0.0);
  EXPECT_LT(a.nll_se, 0.2 * a.nll);
  lo.seed ^= 1;  // another seed: a different estimate, within a few standard errors
  auto c = canonical_solution_nll(model_, *tok_, task_, lo, 48, torch::kCPU);
  EXPECT_NE(a.nll, c.nll);
  EXPECT_LT(std::abs(a.nll - c.nll), 6 * std::sqrt(2.0) * a.nll_se);
}

TEST_F(CodegenTest, GenerationIsSeededAndFitsTheContext) {
  CodegenOptions o;
  o.samples = 3;
  o.ks = {1, 3};
  o.temperature = 1.0;
  o.max_new_tokens = 40;
  o.sandbox.timeout_s = 3;
  auto a = evaluate_codegen(model_, *tok_, task_, o, torch::kCPU);
  auto b = evaluate_codegen(model_, *tok_, task_, o, torch::kCPU);
  EXPECT_EQ(a.gen_length, 24);  // max(context/2, context − longest prompt) beside a 74-token prompt
  EXPECT_EQ(a.prompts_truncated, 1);
  ASSERT_EQ(a.problems.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    for (size_t s = 0; s < 3; ++s) {
      EXPECT_EQ(a.problems[i].samples[s].completion, b.problems[i].samples[s].completion);
      EXPECT_EQ(a.problems[i].samples[s].completion.find("\ndef"), std::string::npos);
      EXPECT_FALSE(a.problems[i].samples[s].result.status.empty());
    }
  ASSERT_EQ(a.pass_at_k.size(), 2u);
  EXPECT_EQ(a.pass_at_k[0].first, 1);
  o.paradigm = Paradigm::masked_diffusion();
  o.mdm_block_length = 8;
  auto m = evaluate_codegen(model_, *tok_, task_, o, torch::kCPU);
  EXPECT_EQ(m.gen_length, 24);
  // Block diffusion: blocks of 8 with the KV cache, reproducible, cut at the
  // problems' stop sequences like the others.
  o.paradigm = Paradigm::block_diffusion(8);
  auto d1 = evaluate_codegen(model_, *tok_, task_, o, torch::kCPU);
  auto d2 = evaluate_codegen(model_, *tok_, task_, o, torch::kCPU);
  EXPECT_EQ(d1.gen_length, 24);
  for (size_t i = 0; i < 3; ++i)
    for (size_t s = 0; s < 3; ++s) {
      EXPECT_EQ(d1.problems[i].samples[s].completion, d2.problems[i].samples[s].completion);
      EXPECT_EQ(d1.problems[i].samples[s].completion.find("\ndef"), std::string::npos);
    }
  o.ks = {4};
  EXPECT_THROW(evaluate_codegen(model_, *tok_, task_, o, torch::kCPU), Error);
}

}  // namespace
}  // namespace crossover
