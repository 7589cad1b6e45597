// lm-evaluation-harness against crossover (tests/reference/lm_eval_check.py,
// run once for the suite): a tiny AR and MDM run trained and exported by the
// binary, scored through lm-eval 0.4.13's own code paths, offline. AR
// `--model crossover` equals `--model hf` on the export (acc, acc_norm, every
// item's decisions, log-likelihoods within 1e-4) on two task files; the DLM
// through `--model crossover` equals `crossover eval --tasks` / `--loglik`;
// rolling log-likelihoods agree; the edge cases (empty context, special-token
// strings, Unicode whitespace) give lm-eval hf's numbers; a DLM export says it
// is not a causal LM. Skipped when the venv has no lm_eval (scripts/setup.sh
// installs it). ~1-2 minutes on 2 cores. One test, so that ctest (one process per
// test) runs the script once.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "reference_fixture.h"

namespace crossover {
namespace {
using namespace crossover::testing;

class LmEvalTest : public ReferenceSuite<LmEvalTest> {
 public:
  static inline const std::string kScript = "lm_eval_check.py";
  static inline const std::string kArgs = std::string("--crossover ") + CROSSOVER_BINARY;

 protected:
  void SetUp() override {
    ASSERT_NE(ref_, nullptr);
    std::ifstream f(ref_->dir.file("lm_eval_check.json"));
    if (!f) {
      if (ref_->out.find("\"missing\"") != std::string::npos)
        GTEST_SKIP() << "venv has no lm_eval: " << ref_->out;
      FAIL() << "lm_eval_check.py wrote no results:\n" << ref_->out;
    }
    j_ = nlohmann::json::parse(f);
  }
  nlohmann::json j_;
};

TEST_F(LmEvalTest, CrossoverBackendAgreesWithLmEvalAndCrossoverEval) {
  {
    SCOPED_TRACE("AR: --model crossover equals --model hf on the export");
    for (const char* task : {"ar_nextline", "ar_arc"}) {
      const auto& t = j_[task];
      EXPECT_TRUE(t["decisions_equal"].get<bool>()) << t.dump();
      EXPECT_EQ(t["hf_acc"], t["crossover_acc"]);
      EXPECT_EQ(t["hf_acc_norm"], t["crossover_acc_norm"]);
      EXPECT_LT(t["max_abs_loglik_diff"].get<double>(), 1e-4) << t.dump();
    }
  }
  {
    SCOPED_TRACE("DLM: --model crossover equals crossover eval --tasks / --loglik");
    for (const char* task : {"dlm_nextline", "dlm_arc"}) {
      const auto& t = j_[task];
      EXPECT_TRUE(t["acc_equal"].get<bool>()) << t.dump();
      EXPECT_LT(t["max_abs_loglik_diff_vs_loglik_mode"].get<double>(), 1e-6) << t.dump();
    }
  }
  {
    SCOPED_TRACE("edge cases and rolling log-likelihood match lm-eval hf");
    EXPECT_EQ(j_["prefix_token_id"], 256);  // lm-eval's empty-context prefix is crossover's EOS
    for (const char* e : {"edge_empty_context", "edge_special_strings", "edge_unicode_space_context",
                          "edge_nel_context", "rolling_ar"})
      EXPECT_LT(j_[e]["abs_diff"].get<double>(), 1e-4) << e << ": " << j_[e].dump();
  }
  {
    SCOPED_TRACE("a DLM export says it is not a causal LM");
    EXPECT_TRUE(j_["dlm_export"]["readme_warns"].get<bool>());
    EXPECT_NE(j_["dlm_export"]["config_warning"].get<std::string>().find("NOT A CAUSAL LM"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace crossover
