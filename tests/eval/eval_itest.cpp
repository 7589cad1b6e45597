// Evaluation and sampling through the binary: make-tasks is deterministic;
// training with eval.tasks logs the task/<name>/... keys in metrics.jsonl and
// metrics.csv; `crossover eval` prints the table and writes lm-eval JSON
// (reproducibly for MDM); `crossover sample` runs for AR and MDM;
// convert-task writes lm-eval prompts. Models are ~30k parameters, seconds each.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "crossover/io/metrics.h"
#include "test_util.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;
using namespace crossover::testing;  // test_util.h

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

class EvalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    crossover::testing::make_tiny_dataset(*dir_, /*val_docs=*/8);
    auto r = run_crossover("data make-tasks " + dir_->file("data") + " --out " +
                      dir_->file("tasks/nextline.jsonl") + " --items 24 --seed 3");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    r = run_crossover("data convert-task --format humaneval " +
                      source_path("tests/fixtures/tasks/humaneval_toy_raw.jsonl") + " " +
                      dir_->file("tasks/code.jsonl"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    for (std::string kind : {"ar", "mdm", "bd3"}) {  // bd3 also samples code in training
      r = run_crossover("train " + config(kind));
      ASSERT_EQ(r.exit_code, 0) << r.out;
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string config(const std::string& kind) {
    std::string path = dir_->file(kind + ".yaml");
    write_file(path, "base: " + source_path("configs/base.yaml") + "\nrun:\n  name: " + kind +
                         "\n  dir: " + dir_->file("runs") + "\n  seed: 3\nruntime:\n  threads: 1\n"
                         "  device: cpu\nmodel:\n  d_model: 32\n  n_layers: 2\n  n_heads: 2\n"
                         "  max_seq_len: 64\nobjective:\n  kind: " + kind +
                         (kind == "bd3" ? "\n  block_size: 16" : "") + "\ndata:\n  path: " +
                         dir_->file("data") + "\n  seq_len: 64\ntrain:\n  total_tokens: 20480\n"
                         "  batch_size: 8\n  lr: 3.0e-3\n  lr_warmup_steps: 5\n  log_every: 10\n"
                         "  eval_every: 20\n  eval_each_epoch: false\neval:\n  val_tokens: 2048\n"
                         "  mc_samples: 2\n  tasks: [" + dir_->file("tasks/nextline.jsonl") +
                         "]\n  task_mc_samples: 4\n  task_limit: 12\n  codegen: [" + dir_->file("tasks/code.jsonl") +
                         "]\n  codegen_samples: 1\n");
    return path;
  }
  static std::string run_dir(const std::string& kind) { return dir_->file("runs/" + kind); }
  static TempDir* dir_;
};
TempDir* EvalTest::dir_ = nullptr;

TEST_F(EvalTest, MakeTasksIsDeterministic) {
  auto r = run_crossover("data make-tasks " + dir_->file("data") + " --out " +
                         dir_->file("again.jsonl") + " --items 24 --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(read_file(dir_->file("again.jsonl")), read_file(dir_->file("tasks/nextline.jsonl")));
  EXPECT_NE(r.out.find("code items"), std::string::npos) << r.out;
}

TEST_F(EvalTest, TrainingLogsTaskMetrics) {
  for (std::string kind : {"ar", "mdm"}) {
    std::ifstream in(run_dir(kind) + "/metrics.jsonl");
    std::string line;
    int val_rows = 0;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      if (j["kind"] != "val") continue;
      ++val_rows;
      for (const char* m : {"acc", "acc_norm", "acc_se", "nll_correct", "nll_wrong", "delta_nll",
                            "margin", "mc_ambiguous"})
        ASSERT_TRUE(j.contains(std::string("task/nextline/") + m)) << kind << " " << line;
      double acc = j["task/nextline/acc"].get<double>();
      EXPECT_GE(acc, 0.0);
      EXPECT_LE(acc, 1.0);
      EXPECT_GT(j["task/nextline/nll_correct"].get<double>(), 0.0);  // −log p > 0
      EXPECT_GT(j["task/nextline/nll_wrong"].get<double>(), 0.0);
      if (kind == "ar") {
        EXPECT_EQ(j["task/nextline/mc_ambiguous"].get<double>(), 0.0);  // exact
      }
    }
    EXPECT_GE(val_rows, 2) << kind;
    std::string header = read_file(run_dir(kind) + "/metrics.csv").substr(0, 600);
    EXPECT_NE(header.find("task/nextline/delta_nll"), std::string::npos) << header;
    EXPECT_NE(header.find("task/nextline/margin"), std::string::npos) << header;
  }
}

// The numbers training logs at its last evaluation are what `crossover eval`
// computes from the final checkpoint alone (its config, weights, tokenizer and
// [MASK] id, rebuilt): the same validation loss and task scores, MDM included
// (the same seeded draws).
TEST_F(EvalTest, TrainingMetricsMatchEvalOfTheFinalCheckpoint) {
  for (std::string kind : {"ar", "mdm"}) {
    nlohmann::json last;
    std::ifstream in(run_dir(kind) + "/metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["kind"] == "val") last = j;
    }
    ASSERT_FALSE(last.is_null()) << kind;
    std::string out = dir_->file("final_" + kind + ".json");
    auto r = run_crossover("eval " + run_dir(kind) + " --tasks " + dir_->file("tasks/nextline.jsonl") +
                           " --limit 12 --mc-samples 4 --out " + out);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto j = nlohmann::json::parse(read_file(out));
    EXPECT_EQ(j["config"]["step"].get<int64_t>(), last["step"].get<int64_t>()) << kind;
    EXPECT_NEAR(j["config"]["val_loss"].get<double>(), last["val_loss"].get<double>(), 1e-9) << kind;
    auto t = j["results"]["nextline"];
    for (const char* m : {"acc", "acc_norm", "nll_correct", "nll_wrong", "margin"})
      EXPECT_NEAR(t[std::string(m) + ",none"].get<double>(),
                  last[std::string("task/nextline/") + m].get<double>(), 1e-9) << kind << " " << m;
  }
}

TEST_F(EvalTest, EvalWritesLmEvalJsonReproducibly) {
  for (std::string kind : {"ar", "mdm"}) {
    std::string out = dir_->file("results_" + kind + ".json");
    auto r = run_crossover("eval " + run_dir(kind) + " --tasks " + dir_->file("tasks/nextline.jsonl") +
                           " --limit 12 --mc-samples 8 --out " + out);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("validation: loss"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("nextline"), std::string::npos) << r.out;
    auto j = nlohmann::json::parse(read_file(out));
    auto t = j["results"]["nextline"];
    for (const char* k : {"acc,none", "acc_stderr,none", "acc_norm,none", "acc_norm_stderr,none",
                          "delta_nll,none"})
      EXPECT_TRUE(t.contains(k)) << k;
    EXPECT_EQ(j["n-samples"]["nextline"]["effective"].get<int64_t>(), 12);
    auto again = run_crossover("eval " + run_dir(kind) + " --tasks " +
                               dir_->file("tasks/nextline.jsonl") + " --limit 12 --mc-samples 8 " +
                               "--no-val --out " + out + ".2");
    ASSERT_EQ(again.exit_code, 0) << again.out;
    auto j2 = nlohmann::json::parse(read_file(out + ".2"));
    EXPECT_EQ(j2["results"]["nextline"]["nll_correct,none"], t["nll_correct,none"]) << kind;
  }
  auto bad = run_crossover("eval " + dir_->file("nowhere"));
  EXPECT_NE(bad.exit_code, 0);
}

TEST_F(EvalTest, SampleArAndMdm) {
  for (std::string kind : {"ar", "mdm"}) {
    auto r = run_crossover("sample " + run_dir(kind) + " --prompt 'def alpha_1(x, y):' " +
                           "--max-new-tokens 16 --num-samples 2 --seed 4");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("=== sample 1 (" + kind + ") ==="), std::string::npos) << r.out;
    auto r2 = run_crossover("sample " + run_dir(kind) + " --prompt 'def alpha_1(x, y):' " +
                            "--max-new-tokens 16 --num-samples 2 --seed 4");
    EXPECT_EQ(r.out, r2.out) << "same seed, same samples";
  }
  const std::string blocks_cmd = "sample " + run_dir("mdm") + " --prompt 'def ' --max-new-tokens 16 "
                                 "--steps 8 --block-length 4 --remasking random --temperature 0.5";
  auto blocks = run_crossover(blocks_cmd);
  ASSERT_EQ(blocks.exit_code, 0) << blocks.out;
  EXPECT_NE(blocks.out.find("=== sample 0 (mdm) ===\ndef "), std::string::npos) << blocks.out;
  EXPECT_EQ(run_crossover(blocks_cmd).out, blocks.out) << "random remasking is seeded";
}

// Block diffusion from the command line: sampling with the KV cache gives the
// tokens of --no-cache, a --block-length other than the model's is refused in
// one line, and training logged code pass@1 (its samples ran in the sandbox).
TEST_F(EvalTest, SampleBd3CachedEqualsUncachedAndRefusesAnotherBlock) {
  const std::string cmd = "sample " + run_dir("bd3") + " --prompt 'def alpha_1(x, y):' " +
                          "--max-new-tokens 40 --num-samples 2 --seed 4 --temperature 0.7";
  auto cached = run_crossover(cmd);
  ASSERT_EQ(cached.exit_code, 0) << cached.out;
  EXPECT_NE(cached.out.find("=== sample 1 (bd3) ==="), std::string::npos) << cached.out;
  auto uncached = run_crossover(cmd + " --no-cache");
  ASSERT_EQ(uncached.exit_code, 0) << uncached.out;
  EXPECT_EQ(cached.out, uncached.out);
  auto bad = run_crossover("sample " + run_dir("bd3") + " --prompt 'x' --block-length 8");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("blocks of 16 tokens"), std::string::npos) << bad.out;
  auto val = read_metrics(run_dir("bd3") + "/metrics.jsonl", "val");
  ASSERT_FALSE(val.empty());
  EXPECT_TRUE(val.back().contains("codegen/code/pass@1")) << val.back().dump();
}

// Code tasks: training logs the canonical-solution NLL and pass@1 at each
// evaluation; `crossover eval --codegen` samples, executes and writes pass@k
// and one JSON line per problem, for AR and MDM.
TEST_F(EvalTest, CodegenInTrainingAndEval) {
  for (std::string kind : {"ar", "mdm"}) {
    int val_rows = 0;
    for (const auto& line : lines_of(read_file(run_dir(kind) + "/metrics.jsonl"))) {
      auto j = nlohmann::json::parse(line);
      if (j["kind"] != "val") continue;
      ++val_rows;
      ASSERT_TRUE(j.contains("codegen/code/nll") && j.contains("codegen/code/pass@1")) << line;
      const double nll = j["codegen/code/nll"].get<double>();
      EXPECT_TRUE(nll > 0.5 && nll < 10) << kind << " solution NLL " << nll;
      EXPECT_EQ(j["codegen/code/nll_se"].get<double>() > 0, kind == "mdm") << line;
      const double p = j["codegen/code/pass@1"].get<double>();
      EXPECT_TRUE(p == 0 || p == 1.0 / 3 || p == 2.0 / 3 || p == 1) << p;
    }
    EXPECT_GE(val_rows, 2) << kind;

    std::string out = dir_->file("code_" + kind + ".json");
    auto r = run_crossover("eval " + run_dir(kind) + " --no-val --codegen " +
                           dir_->file("tasks/code.jsonl") + " --samples 2 --k 1,2 --temperature 0.8 "
                           "--max-new-tokens 24 --jobs 2 --out " + out);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("pass@2"), std::string::npos) << r.out;
    auto t = nlohmann::json::parse(read_file(out))["results"]["code"];
    const double p1 = t["pass@1,none"].get<double>(), p2 = t["pass@2,none"].get<double>();
    EXPECT_TRUE(p1 >= 0 && p1 <= p2 && p2 <= 1) << t.dump();
    EXPECT_EQ(t["problems"].get<int64_t>(), 3);
    EXPECT_GT(t["canonical_nll,none"].get<double>(), 0.5);
    auto rows = lines_of(read_file(dir_->file("code_" + kind + ".code.jsonl")));
    ASSERT_EQ(rows.size(), 3u);
    int64_t correct = 0;
    for (const auto& row : rows) {
      auto j = nlohmann::json::parse(row);
      ASSERT_EQ(j["samples"].size(), 2u) << row;
      int64_t c = 0;
      for (const auto& smp : j["samples"]) {
        const std::string st = smp["status"];
        EXPECT_TRUE(st == "passed" || st == "failed" || st == "timeout" || st == "crashed") << row;
        c += st == "passed";
      }
      EXPECT_EQ(j["correct"].get<int64_t>(), c);
      correct += c;
    }
    // pass@1 is the mean fraction of passing samples.
    EXPECT_NEAR(p1, static_cast<double>(correct) / 6.0, 1e-12);
  }
  auto bad = run_crossover("eval " + run_dir("ar") + " --no-val --codegen " +
                           dir_->file("tasks/code.jsonl") + " --samples 2 --k 3");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("pass@3 needs --samples >= 3"), std::string::npos) << bad.out;
}

// Without root the sandbox's isolation is unavailable: `eval --codegen` refuses
// before reading anything, with one line naming what is missing, unless
// --unsafe-exec. Run for real as `nobody` (setpriv), no test seam.
TEST_F(EvalTest, CodegenRefusesWithoutRootUnlessUnsafeExec) {
  if (::geteuid() != 0 || run_shell("command -v setpriv").exit_code != 0)
    GTEST_SKIP() << "needs root and setpriv to run the evaluator as another user";
  // CAP_DAC_READ_SEARCH only lets it read libtorch under /root and the runs; it is still not root.
  const std::string as_nobody = "cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "
                                "--inh-caps=+dac_read_search --ambient-caps=+dac_read_search env TMPDIR=/tmp ";
  const std::string eval = std::string(CROSSOVER_BINARY) + " eval " + run_dir("ar") + " --no-val --codegen " +
                           dir_->file("tasks/code.jsonl") + " --max-new-tokens 8";
  auto r = run_shell(as_nobody + eval);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("refusing to execute generated code: not running as root"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--unsafe-exec"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("checkpoint "), std::string::npos) << "refused only after loading: " << r.out;
  r = run_shell(as_nobody + eval + " --unsafe-exec");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("sandbox: UNSAFE (--unsafe-exec)"), std::string::npos) << r.out;
}

TEST_F(EvalTest, ConvertTaskCli) {
  auto r = run_crossover("data convert-task --format arc " +
                         source_path("tests/fixtures/tasks/arc_raw.jsonl") + " " + dir_->file("arc.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(read_file(dir_->file("arc.jsonl")),
            read_file(source_path("tests/fixtures/tasks/arc_expected.jsonl")));
  auto bad = run_crossover("data convert-task --format nope " +
                           source_path("tests/fixtures/tasks/arc_raw.jsonl") + " " + dir_->file("x.jsonl"));
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
}

}  // namespace
}  // namespace crossover
