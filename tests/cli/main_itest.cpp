// The binary's command line: help, version, and one-line errors with exit code 2.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

TEST(Cli, VersionReportsLibTorch) {
  auto r = run_crossover("--version");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("LibTorch 2.11.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("threads:"), std::string::npos);
  EXPECT_NE(r.out.find("CUDA:"), std::string::npos);
}

TEST(Cli, HelpOnEveryLevel) {
  auto top = run_crossover("--help");
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("config"), std::string::npos);
  auto cfg = run_crossover("config --help");
  EXPECT_EQ(cfg.exit_code, 0);
  EXPECT_NE(cfg.out.find("--set"), std::string::npos);
}

TEST(Cli, UnknownCommandIsOneLineExit2) {
  auto r = run_crossover("trian");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find("unknown command 'trian'"), std::string::npos);
}

TEST(Cli, UnknownOptionSuggests) {
  auto r = run_crossover("config --sett a=b");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("did you mean '--set'"), std::string::npos) << r.out;
}

TEST(Cli, ConfigErrorsAreOneLineExit2) {
  TempDir dir;
  write_file(dir.file("typo.yaml"), "train:\n  lr: 1e-3\n  warmup: 10\n");
  for (const std::string& args :
       {std::string("config ") + dir.file("typo.yaml"), std::string("config ") + dir.file("no.yaml"),
        std::string("config --set model.d_model=abc")}) {
    auto r = run_crossover(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_EQ(r.out.rfind("crossover: error: ", 0), 0u) << r.out;
  }
}

TEST(Cli, ConfigPrintsResolvedYamlThatLoadsBack) {
  TempDir dir;
  auto r = run_crossover("config --set model.d_model=128 --set train.lr=1e-3");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("d_model: 128"), std::string::npos);
  write_file(dir.file("resolved.yaml"), r.out);
  auto again = run_crossover("config " + dir.file("resolved.yaml"));
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, r.out);
}

// Issue 27 item 11: every number `plan` takes is range-checked — one line,
// exit 2 — instead of printing negative parameters and memory.
TEST(Cli, PlanRangeChecksEveryNumber) {
  TempDir dir;
  write_file(dir.file("c.yaml"), "model:\n  vocab_size: 256\n");
  const std::string plan = "plan " + dir.file("c.yaml") + " ";
  for (const std::string bad :
       {"--vocab -1000000", "--vocab 0", "--vocab 100000000", "--gpus 0", "--gpus -8",
        "--gpus 100000000", "--mfu 0", "--mfu -0.5", "--mfu 1.5", "--mfu nan",
        "--set train.batch_size=-16", "--set model.d_model=-1", "--set train.total_tokens=-5"}) {
    auto r = run_crossover(plan + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << bad << "\n" << r.out;
    EXPECT_EQ(r.out.rfind("crossover: error: ", 0), 0u) << r.out;
    EXPECT_EQ(r.out.find("parameters:"), std::string::npos) << r.out;  // no plan printed
  }
  auto ok = run_crossover(plan + "--vocab 32000 --gpus 8");
  EXPECT_NE(ok.exit_code, 2) << ok.out;  // 0 (fits) or 3 (does not fit)
}

}  // namespace
}  // namespace crossover
