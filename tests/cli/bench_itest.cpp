// `crossover bench` through the binary: its two parts (the whole train step and
// the model's forward+backward) take the same vocabulary, model and random
// tokens, so their first step scores the same loss; at init that loss is near
// the uniform cross-entropy ln V for AR (the outside truth: weights of std 0.02
// give near-zero logits). Wrong parts are usage errors.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

const std::string kTiny =
    " --set model.d_model=32 --set model.n_layers=1 --set model.n_heads=2 --set model.max_seq_len=16"
    " --set data.seq_len=16 --set runtime.threads=1 --batch 4";

nlohmann::json bench_json(const std::string& args) {
  auto r = run_crossover("bench " + source_path("configs/base.yaml") + kTiny + " --json " + args);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  // The JSON object is the last line (log lines may come first).
  auto start = r.out.rfind("\n{");
  return nlohmann::json::parse(r.out.substr(start == std::string::npos ? 0 : start + 1));
}

TEST(BenchCli, StepAndModelPartsMeasureTheSameModelAndFirstLoss) {
  for (std::string kind : {"ar", "mdm"}) {
    SCOPED_TRACE(kind);
    const std::string k = " --set objective.kind=" + kind + " --set objective.short_seq_prob=0";
    auto step = bench_json("--part step --steps 1 --warmup 0" + k);
    auto model = bench_json("--part model --steps 1 --warmup 0" + k);
    EXPECT_EQ(step["part"], "step");
    EXPECT_EQ(model["part"], "model");
    for (const char* key : {"options", "mask_id", "params", "batch", "seq_len", "objective"})
      EXPECT_EQ(step[key], model[key]) << key;
    EXPECT_EQ(step["options"]["vocab_size"], 260);  // no dataset: the byte tokenizer
    EXPECT_EQ(step["mask_id"], 259);
    EXPECT_EQ(step["batch"], 4);
    // Same tokens, masks and initial weights: the sparse-head train step and the
    // dense-head model pass compute one loss.
    const double a = step["last_loss"].get<double>(), b = model["last_loss"].get<double>();
    EXPECT_NEAR(a, b, 1e-4 * b);
    if (kind == "ar") {
      EXPECT_NEAR(a, std::log(260.0), 0.05);
    }
    for (auto* j : {&step, &model}) {
      EXPECT_GT((*j)["tokens_per_s"].get<double>(), 0.0);
      EXPECT_LE((*j)["step_ms_best"].get<double>(), (*j)["step_ms"].get<double>() * (1 + 1e-9));
    }
  }
}

TEST(BenchCli, ExplicitVocabularyReservesItsLastIdAsMask) {
  auto j = bench_json("--part model --steps 1 --warmup 0 --set model.vocab_size=100");
  EXPECT_EQ(j["options"]["vocab_size"], 100);
  EXPECT_EQ(j["mask_id"], 99);
}

TEST(BenchCli, UnknownPartIsAUsageError) {
  auto r = run_crossover("bench " + source_path("configs/base.yaml") + " --part modle");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("model"), std::string::npos) << r.out;
  r = run_crossover("bench " + source_path("configs/base.yaml") + " --steps 0");
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

}  // namespace
}  // namespace crossover
