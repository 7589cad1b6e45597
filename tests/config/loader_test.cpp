// Config loading: inheritance, overrides, strictness and every error class.
#include "crossover/config/loader.h"

#include <gtest/gtest.h>

#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

// Expects a UsageError whose message contains every fragment.
template <class F>
void expect_usage_error(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    std::string msg = e.what();
    for (const auto& frag : fragments)
      EXPECT_NE(msg.find(frag), std::string::npos) << "missing '" << frag << "' in: " << msg;
  }
}

TEST(ConfigLoader, BaseYamlEqualsCompiledDefaults) {
  // configs/base.yaml is the documented reference; it must agree with the structs.
  Config from_file = load_config(crossover::testing::source_path("configs/base.yaml"));
  Config defaults;
  EXPECT_EQ(config_to_yaml(from_file), config_to_yaml(defaults));
}

TEST(ConfigLoader, BaseYamlDocumentsEveryKey) {
  std::string text = crossover::testing::read_file(crossover::testing::source_path("configs/base.yaml"));
  for (const auto& key : config_keys()) {
    std::string leaf = key.substr(key.find('.') + 1);
    size_t pos = text.find("  " + leaf + ":");
    ASSERT_NE(pos, std::string::npos) << key << " is missing from base.yaml";
    size_t eol = text.find('\n', pos);
    EXPECT_NE(text.substr(pos, eol - pos).find('#'), std::string::npos)
        << key << " has no comment in base.yaml";
  }
}

TEST(ConfigLoader, InheritanceSeveralLevelsRelativeToIncludingFile) {
  TempDir dir;
  write_file(dir.file("a/root.yaml"), "model:\n  d_model: 128\n  n_layers: 3\n");
  write_file(dir.file("a/b/mid.yaml"), "base: ../root.yaml\nmodel:\n  n_layers: 5\ntrain:\n  lr: 1e-3\n");
  write_file(dir.file("leaf.yaml"), "base: a/b/mid.yaml\ntrain:\n  lr: 2e-3\n");
  Config c = load_config(dir.file("leaf.yaml"));
  EXPECT_EQ(c.model.d_model, 128);
  EXPECT_EQ(c.model.n_layers, 5);
  EXPECT_DOUBLE_EQ(c.train.lr, 2e-3);
  EXPECT_EQ(c.model.n_heads, Config().model.n_heads);  // untouched default
}

TEST(ConfigLoader, InheritanceCycleIsAnError) {
  TempDir dir;
  write_file(dir.file("x.yaml"), "base: y.yaml\n");
  write_file(dir.file("y.yaml"), "base: x.yaml\n");
  expect_usage_error([&] { load_config(dir.file("x.yaml")); }, {"cycle", "x.yaml", "y.yaml"});
}

TEST(ConfigLoader, MissingBaseIsAnError) {
  TempDir dir;
  write_file(dir.file("x.yaml"), "base: nope.yaml\n");
  expect_usage_error([&] { load_config(dir.file("x.yaml")); }, {"x.yaml:1", "nope.yaml"});
}

TEST(ConfigLoader, OverridesAreTypedAndWin) {
  TempDir dir;
  write_file(dir.file("c.yaml"), "train:\n  lr: 1e-3\n");
  Config c = load_config(dir.file("c.yaml"),
                         {"train.lr=3e-4", "model.d_model=512", "model.qk_norm=false",
                          "eval.tasks=[a.jsonl, b.jsonl]", "objective.kind=mdm"});
  EXPECT_DOUBLE_EQ(c.train.lr, 3e-4);
  EXPECT_EQ(c.model.d_model, 512);
  EXPECT_FALSE(c.model.qk_norm);
  ASSERT_EQ(c.eval.tasks.size(), 2u);
  EXPECT_EQ(c.eval.tasks[1], "b.jsonl");
  EXPECT_EQ(c.objective.kind, ObjectiveKind::kMdm);
}

TEST(ConfigLoader, AutoMeansZeroForAutoFields) {
  Config c = load_config_from_string("runtime:\n  threads: auto\nmodel:\n  d_ff: 96\n", "t.yaml");
  EXPECT_EQ(c.runtime.threads, 0);
  EXPECT_EQ(c.model.d_ff, 96);
  expect_usage_error([] { load_config_from_string("model:\n  d_model: auto\n", "t.yaml"); },
                     {"model.d_model", "'auto' is not an integer"});
}

TEST(ConfigLoader, RuntimeTf32DefaultsOnAndIsABool) {
  EXPECT_TRUE(load_config_from_string("", "t.yaml").runtime.tf32);
  EXPECT_FALSE(load_config_from_string("", "t.yaml", {"runtime.tf32=false"}).runtime.tf32);
  EXPECT_FALSE(load_config_from_string("runtime:\n  tf32: false\n", "t.yaml").runtime.tf32);
  expect_usage_error([] { load_config_from_string("runtime:\n  tf32: fast\n", "t.yaml"); },
                     {"t.yaml:2", "runtime.tf32", "true or false"});
}

TEST(ConfigLoader, UnknownKeyNamesFileLineAndSuggests) {
  TempDir dir;
  write_file(dir.file("c.yaml"), "model:\n  d_model: 64\n  n_layer: 2\n");
  expect_usage_error([&] { load_config(dir.file("c.yaml")); },
                     {"c.yaml:3", "unknown key 'model.n_layer'", "did you mean 'model.n_layers'"});
}

TEST(ConfigLoader, UnknownSectionSuggests) {
  expect_usage_error([] { load_config_from_string("modle:\n  d_model: 64\n", "t.yaml"); },
                     {"t.yaml:2", "modle.d_model", "model.d_model"});
}

TEST(ConfigLoader, UnknownOverrideKey) {
  expect_usage_error([] { load_config_from_string("", "t.yaml", {"train.lrr=1"}); },
                     {"--set", "train.lrr", "train.lr"});
}

TEST(ConfigLoader, WrongTypeNamesKeyValueAndExpectation) {
  expect_usage_error([] { load_config_from_string("model:\n  d_model: big\n", "t.yaml"); },
                     {"t.yaml:2", "model.d_model", "'big'", "an integer"});
  expect_usage_error([] { load_config_from_string("train:\n  lr: fast\n", "t.yaml"); },
                     {"train.lr", "'fast'", "a number"});
  expect_usage_error([] { load_config_from_string("model:\n  qk_norm: maybe\n", "t.yaml"); },
                     {"model.qk_norm", "true or false"});
  expect_usage_error([] { load_config_from_string("model:\n  d_model: 1.5\n", "t.yaml"); },
                     {"model.d_model", "an integer"});
  expect_usage_error([] { load_config_from_string("eval:\n  tasks: a.jsonl\n", "t.yaml"); },
                     {"eval.tasks", "a list"});
  expect_usage_error([] { load_config_from_string("train:\n  lr: [1, 2]\n", "t.yaml"); },
                     {"train.lr", "got a list"});
}

TEST(ConfigLoader, OutOfRangeAndBadChoice) {
  expect_usage_error([] { load_config_from_string("train:\n  lr_min_ratio: 1.5\n", "t.yaml"); },
                     {"train.lr_min_ratio", "1.5", "out of range", "[0, 1]"});
  expect_usage_error([] { load_config_from_string("model:\n  n_layers: 0\n", "t.yaml"); },
                     {"model.n_layers", "[1, 4096]"});
  expect_usage_error([] { load_config_from_string("objective:\n  kind: mdn\n", "t.yaml"); },
                     {"objective.kind", "'mdn'", "ar | mdm | ar_noise", "did you mean 'mdm'"});
}

TEST(ConfigLoader, GradDtypeAndLossChunkKeys) {
  Config c = load_config_from_string("dist:\n  grad_dtype: bf16\n  shard: gradients\n"
                                     "train:\n  loss_chunk_tokens: 1024\n", "t.yaml");
  EXPECT_EQ(c.dist.grad_dtype, GradDtype::kBf16);
  EXPECT_EQ(c.train.loss_chunk_tokens, 1024);
  EXPECT_EQ(Config().dist.grad_dtype, GradDtype::kFp32);  // the default communicates fp32
  expect_usage_error([] { load_config_from_string("dist:\n  grad_dtype: fp16\n", "t.yaml"); },
                     {"dist.grad_dtype", "'fp16'", "fp32 | bf16"});
  expect_usage_error([] { load_config_from_string("train:\n  loss_chunk_tokens: -1\n", "t.yaml"); },
                     {"train.loss_chunk_tokens"});
  expect_usage_error(
      [] { load_config_from_string("dist:\n  grad_dtype: bf16\n  shard: optimizer\n", "t.yaml"); },
      {"dist.grad_dtype=bf16", "dist.shard=optimizer"});
}

TEST(ConfigLoader, AdaptiveMonteCarloKeys) {
  Config c = load_config_from_string(
      "eval:\n  task_mc: adaptive\n  task_mc_min: 8\n  task_mc_round: 4\n  task_mc_z: 2.5\n", "t.yaml");
  EXPECT_EQ(c.eval.task_mc, McMode::kAdaptive);
  EXPECT_EQ(c.eval.task_mc_min, 8);
  EXPECT_EQ(c.eval.task_mc_round, 4);
  EXPECT_DOUBLE_EQ(c.eval.task_mc_z, 2.5);
  EXPECT_EQ(Config{}.eval.task_mc, McMode::kFixed);  // papers are reproduced with fixed N
  expect_usage_error([] { load_config_from_string("eval:\n  task_mc: adaptiv\n", "t.yaml"); },
                     {"eval.task_mc", "fixed | adaptive", "did you mean 'adaptive'"});
  expect_usage_error([] { load_config_from_string("eval:\n  task_mc_z: 0\n", "t.yaml"); },
                     {"eval.task_mc_z", "out of range"});
  expect_usage_error([] { load_config_from_string("eval:\n  task_mc_round: 0\n", "t.yaml"); },
                     {"eval.task_mc_round", "out of range"});
}

TEST(ConfigLoader, CrossFieldValidation) {
  expect_usage_error([] { load_config_from_string("model:\n  d_model: 100\n  n_heads: 3\n", "t"); },
                     {"not divisible by model.n_heads"});
  expect_usage_error([] { load_config_from_string("data:\n  seq_len: 512\n", "t"); },
                     {"data.seq_len=512", "model.max_seq_len=256"});
  expect_usage_error(
      [] { load_config_from_string("objective:\n  input_noise: 0.1\n", "t"); },
      {"objective.input_noise", "ar_noise"});
}

TEST(ConfigLoader, MalformedYamlAndMissingFile) {
  TempDir dir;
  write_file(dir.file("bad.yaml"), "model:\n  d_model: [1, 2\n");
  expect_usage_error([&] { load_config(dir.file("bad.yaml")); }, {"bad.yaml", "malformed YAML"});
  expect_usage_error([&] { load_config(dir.file("none.yaml")); }, {"none.yaml", "does not exist"});
  write_file(dir.file("list.yaml"), "- a\n- b\n");
  expect_usage_error([&] { load_config(dir.file("list.yaml")); }, {"mapping"});
  expect_usage_error([] { load_config_from_string("", "t", {"novalue"}); }, {"KEY=VALUE"});
}

TEST(ConfigLoader, DuplicateKeysAreRefusedWithFileLine) {
  expect_usage_error(
      [] { load_config_from_string("train:\n  lr: 1e-3\n  batch_size: 8\n  lr: 2e-3\n", "dup.yaml"); },
      {"dup.yaml:4", "duplicate key 'train.lr'"});
  expect_usage_error([] { load_config_from_string("train:\n  lr: 1e-3\ntrain:\n  lr: 2e-3\n", "dup.yaml"); },
                     {"dup.yaml:3", "duplicate key 'train'"});
}

TEST(ConfigLoader, DirectoryAsConfigOrBaseAndNonStringKeys) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("confdir"));
  expect_usage_error([&] { load_config(dir.file("confdir")); }, {"confdir", "is a directory"});
  write_file(dir.file("leaf.yaml"), "base: confdir\n");
  expect_usage_error([&] { load_config(dir.file("leaf.yaml")); }, {"confdir", "is a directory"});
  write_file(dir.file("key.yaml"), "train:\n  [a, b]: 1\n");
  expect_usage_error([&] { load_config(dir.file("key.yaml")); }, {"key.yaml:2", "not a plain name"});
}

TEST(ConfigLoader, ValuesThatCannotWorkAreRefused) {
  // A run name that is empty, '.', '..' or a path would let --overwrite reach siblings.
  for (const char* name : {"run.name=", "run.name=..", "run.name=.", "run.name=a/b"})
    expect_usage_error([&] { load_config_from_string("", "t", {name}); }, {"run.name", "one plain folder name"});
  expect_usage_error([] { load_config_from_string("", "t", {"objective.kind=mdm", "objective.mask_eps=0"}); },
                     {"objective.mask_eps=0", "inv_t"});
  // ... but the paper's realised-fraction weighting has no 1/t, so eps 0 is fine there.
  EXPECT_NO_THROW(load_config_from_string(
      "", "t", {"objective.kind=mdm", "objective.mask_eps=0", "objective.weighting=inv_realised"}));
  expect_usage_error([] { load_config_from_string("", "t", {"train.lr=0"}); }, {"train.lr=0"});
  expect_usage_error([] { load_config_from_string("", "t", {"train.total_tokens=100"}); },
                     {"train.total_tokens=100", "less than one step", "4096"});
  // Sizes far beyond any model are out of range, before any product can overflow.
  expect_usage_error([] { load_config_from_string("", "t", {"train.batch_size=90000000000000000"}); },
                     {"train.batch_size", "out of range"});
  for (const char* huge : {"model.d_model=100000000", "model.max_seq_len=100000000000",
                           "model.moe_experts=1000000", "runtime.threads=100000"})
    expect_usage_error([&] { load_config_from_string("", "t", {huge}); }, {"out of range"});
}

TEST(ConfigLoader, YamlRoundTripAndHash) {
  Config c = load_config_from_string("", "t", {"train.lr=0.00025", "run.name=x y",
                                               "eval.tasks=[t1]", "model.rope_theta=500000"});
  std::string yaml = config_to_yaml(c);
  Config back = load_config_from_string(yaml, "roundtrip");
  EXPECT_EQ(config_to_yaml(back), yaml);
  EXPECT_EQ(config_hash(back), config_hash(c));
  EXPECT_DOUBLE_EQ(back.train.lr, 0.00025);
  EXPECT_EQ(back.run.name, "x y");
  Config other = load_config_from_string("", "t", {"train.lr=0.0003"});
  EXPECT_NE(config_hash(other), config_hash(c));
  EXPECT_EQ(config_hash(c).size(), 16u);
}

TEST(ConfigLoader, ShippedConfigsAllValidate) {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(crossover::testing::source_path("configs"))) {
    if (e.path().extension() != ".yaml") continue;
    if (e.path().string().find("/sweeps/") != std::string::npos) continue;  // sweep files
    EXPECT_NO_THROW(load_config(e.path().string())) << e.path();
    ++n;
  }
  EXPECT_GE(n, 1);
}

}  // namespace
}  // namespace crossover
