// Every subcommand's command line, through the built binary: --help exits 0 and
// names the options; an unknown option, a missing option or positional, a value
// that is not a number or not in its set each exit 2 with one line
// "crossover: error: <command>: ..." and no source location (exit 1 and
// file:line are for runtime failures). The outside truth is the option table
// below, written from each command's documented options, not from its code.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

struct CommandCase {
  std::string command;               // as typed after `crossover`
  std::vector<std::string> options;  // each must appear in --help
  std::string typo, suggestion;      // "--sedd 3" -> "--seed"
  std::string missing;               // a required option or positional left out ("" = none)
  std::string bad_number;            // a numeric option given a word ("" = none)
};

// Positionals and values that parse; no file is read before parsing ends.
const std::vector<CommandCase>& command_cases() {
  static const std::vector<CommandCase> kCases = {
      {"train", {"CONFIG", "--set", "--verbose", "--resume", "--overwrite"},
       "c.yaml --resme auto", "--resume", "", ""},
      {"eval", {"CHECKPOINT", "--tasks", "--limit", "--mc-samples", "--out", "--config", "--data",
                "--device", "--no-val", "--batch-tokens", "--pad-mask", "--codegen", "--samples",
                "--k", "--temperature", "--top-p", "--max-new-tokens", "--steps", "--block-length",
                "--seed", "--jobs", "--timeout", "--memory-mb", "--python", "--unsafe-exec"},
       "run --limt 3", "--limit", "--limit 3", "run --limit three"},
      {"sample", {"CHECKPOINT", "--prompt", "--max-new-tokens", "--num-samples", "--seed",
                  "--temperature", "--top-k", "--top-p", "--no-cache", "--steps", "--block-length",
                  "--remasking", "--config", "--data", "--device"},
       "run --sedd 3", "--seed", "--prompt x", "run --num-samples two"},
      {"export", {"CHECKPOINT", "--format", "--out", "--config", "--data"},
       "run --fromat hf --out o", "--format", "run --format hf", ""},
      {"bench", {"CONFIG", "--set", "--verbose", "--part", "--batch", "--steps", "--warmup", "--json"},
       "c.yaml --stesp 3", "--steps", "--steps 3", "c.yaml --steps ten"},
      {"plan", {"CONFIG", "--set", "--gpus", "--gpu", "--mfu", "--json", "--vocab"},
       "c.yaml --gpuss 2", "--gpus", "--gpus 2", "c.yaml --gpus two"},
      {"config", {"CONFIG", "--set", "--verbose", "--hash"}, "--hsh", "--hash", "", ""},
      {"sweep plan", {"SWEEP", "--out", "--format", "--set"},
       "s.yaml --fromat tsv", "--format", "--format tsv", ""},
      {"report", {"RUN_DIR_OR_SWEEP_DIR", "--out", "--metric"},
       "runs --metrc val_loss", "--metric", "--out o", ""},
      {"dist-check", {"CONFIG", "--set", "--die-rank", "--die-after-s", "--bytes"},
       "--byts 8", "--bytes", "", "--bytes lots"},
      {"data prepare", {"--source", "--tier", "--out", "--tokenizer", "--tokenizer-model",
                        "--vocab-size", "--val-fraction", "--val-docs", "--seed", "--threads",
                        "--force"},
       "--out o --sedd 3", "--seed", "--source x", "--out o --seed abc"},
      {"data info", {"DIR", "--sample"}, "d --sampel 3", "--sample", "--sample 3", "d --sample many"},
      {"data bench", {"DIR", "--seq-len", "--batch", "--steps", "--unique-tokens", "--shuffle"},
       "d --bacth 4", "--batch", "--batch 4", "d --batch x"},
      {"data convert-task", {"--format", "IN", "OUT"},
       "a b --fromat arc", "--format", "a.jsonl b.jsonl", ""},
      {"data make-tasks", {"DATASET_DIR", "--out", "--items", "--choices", "--seed", "--kind",
                           "--distractors", "--context", "--min-chars", "--max-chars"},
       "d --out t --itmes 3", "--items", "d", "d --out t --items x"},
      {"version", {"--help"}, "--verbos", "", "", ""},
  };
  return kCases;
}

// One line, "crossover: error: <command>: ...", no file:line of a check.
void expect_usage_error(const RunResult& r, const std::string& command, const std::string& args) {
  SCOPED_TRACE(args);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(r.out.rfind("crossover: error: " + command + ": ", 0), 0u) << r.out;
  EXPECT_EQ(r.out.find(".cpp:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("see 'crossover " + command + " --help'"), std::string::npos) << r.out;
}

TEST(Commands, HelpExitsZeroAndNamesEveryOption) {
  for (const auto& c : command_cases()) {
    for (const char* flag : {" --help", " -h"}) {
      auto r = run_crossover(c.command + flag);
      EXPECT_EQ(r.exit_code, 0) << c.command << flag << "\n" << r.out;
      EXPECT_NE(r.out.find("crossover " + c.command), std::string::npos) << r.out;  // the synopsis
      for (const auto& option : c.options)
        EXPECT_NE(r.out.find(option), std::string::npos) << c.command << ": " << option << "\n" << r.out;
    }
  }
}

TEST(Commands, UnknownOptionExits2WithTheNearestOption) {
  for (const auto& c : command_cases()) {
    auto r = run_crossover(c.command + " " + c.typo);
    expect_usage_error(r, c.command, c.command + " " + c.typo);
    EXPECT_NE(r.out.find("unknown option"), std::string::npos) << r.out;
    if (!c.suggestion.empty()) {
      EXPECT_NE(r.out.find("did you mean '" + c.suggestion + "'?"), std::string::npos) << r.out;
    }
  }
}

TEST(Commands, MissingRequiredOptionOrPositionalExits2) {
  for (const auto& c : command_cases()) {
    if (c.missing.empty()) continue;
    auto r = run_crossover(c.command + " " + c.missing);
    expect_usage_error(r, c.command, c.command + " " + c.missing);
    EXPECT_NE(r.out.find("required"), std::string::npos) << r.out;
  }
}

TEST(Commands, NonNumericValueExits2) {
  for (const auto& c : command_cases()) {
    if (c.bad_number.empty()) continue;
    auto r = run_crossover(c.command + " " + c.bad_number);
    expect_usage_error(r, c.command, c.command + " " + c.bad_number);
  }
}

TEST(Commands, ValueOutsideItsSetExits2WithTheNearest) {
  struct Case {
    std::string command, args, expected;
  };
  for (const Case& c : std::vector<Case>{
           {"data convert-task", "--format hellaswg a b", "did you mean 'hellaswag'?"},
           {"data bench", "d --shuffle globl", "did you mean 'global'?"},
           {"plan", "c.yaml --gpu h10", "did you mean 'h100'?"},
           {"sweep plan", "s.yaml --format csv", "table | tsv"},
           {"sample", "run --remasking randm", "did you mean 'random'?"}}) {
    auto r = run_crossover(c.command + " " + c.args);
    expect_usage_error(r, c.command, c.command + " " + c.args);
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << r.out;
  }
}

TEST(Commands, WrongNumberOfPositionalsExits2) {
  for (const auto& [command, args] : std::vector<std::pair<std::string, std::string>>{
           {"train", "a.yaml b.yaml"}, {"data info", "a b"}, {"eval", "a b"}, {"export", "a b --out o"}}) {
    auto r = run_crossover(command + " " + args);
    expect_usage_error(r, command, command + " " + args);
  }
}

TEST(Commands, UnknownSubcommandSuggestsTheNearest) {
  auto r = run_crossover("data prepaer --out o");
  expect_usage_error(r, "data", "data prepaer");
  EXPECT_NE(r.out.find("did you mean 'prepare'?"), std::string::npos) << r.out;
  auto bare = run_crossover("data");
  expect_usage_error(bare, "data", "data");
  auto sweep = run_crossover("sweep plam s.yaml");
  expect_usage_error(sweep, "sweep", "sweep plam");
  EXPECT_NE(sweep.out.find("did you mean 'plan'?"), std::string::npos) << sweep.out;
}

}  // namespace
}  // namespace crossover
