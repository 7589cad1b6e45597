// Sweep files: grid expansion order, run names, include/exclude, tied keys,
// base axes, and errors that name the sweep file and the key or run.
#include "crossover/config/sweep.h"

#include <gtest/gtest.h>

#include "crossover/config/loader.h"
#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

std::vector<std::string> names(const Sweep& s) {
  std::vector<std::string> out;
  for (const auto& r : s.runs) out.push_back(r.name);
  return out;
}

template <class F>
std::string usage_error(F&& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a UsageError";
  return "";
}

TEST(Sweep, GridExpandsInWrittenOrderFirstKeySlowest) {
  TempDir dir;
  write_file(dir.file("base.yaml"), "model:\n  d_model: 128\n");
  write_file(dir.file("sweeps/s.yaml"),
             "name: fig1\nbase: ../base.yaml\nset:\n  train.total_tokens: 2000000\n"
             "grid:\n  objective.kind: [ar, mdm]\n  data.unique_tokens: [50000, 1500000, 12345]\n"
             "  run.seed: [1]\n");
  Sweep s = load_sweep(dir.file("sweeps/s.yaml"), "out");
  EXPECT_EQ(s.name, "fig1");
  EXPECT_EQ(s.runs_dir, "out/fig1");
  std::vector<std::string> want = {"kind-ar_unique-50k",  "kind-ar_unique-1.5M",  "kind-ar_unique-12345",
                                   "kind-mdm_unique-50k", "kind-mdm_unique-1.5M", "kind-mdm_unique-12345"};
  EXPECT_EQ(names(s), want);
  // Deterministic: a second expansion is identical.
  EXPECT_EQ(names(load_sweep(dir.file("sweeps/s.yaml"), "out")), want);
  // Overrides: set, grid (incl. single-valued keys), then run.dir and run.name.
  std::vector<std::string> args = s.runs[4].set_args();
  std::vector<std::string> want_args = {"train.total_tokens=2000000", "objective.kind=mdm",
                                        "data.unique_tokens=1500000", "run.seed=1",
                                        "run.dir=out/fig1", "run.name=kind-mdm_unique-1.5M"};
  EXPECT_EQ(args, want_args);
  Config c = load_config(s.runs[4].base, args);
  EXPECT_EQ(c.objective.kind, ObjectiveKind::kMdm);
  EXPECT_EQ(c.data.unique_tokens, 1500000);
  EXPECT_EQ(c.model.d_model, 128);
}

TEST(Sweep, IncludeExcludeTiedKeysAndNestedSet) {
  TempDir dir;
  write_file(dir.file("base.yaml"), "");
  write_file(dir.file("s.yaml"),
             "name: noise\nbase: base.yaml\nset:\n  objective:\n    kind: ar_noise\n"
             "grid:\n  objective.input_noise: [0.0, 0.10, 0.5]\n"
             "  model.dropout_attn, model.dropout_resid: [0, 0.1]\n"
             "exclude:\n  - {objective.input_noise: 0.1, model.dropout_resid: 0.1}\n"
             "include:\n  - {objective.kind: mdm}\n");
  Sweep s = load_sweep(dir.file("s.yaml"));
  std::vector<std::string> want = {"noise-0_dropattn-0",   "noise-0_dropattn-0.1",
                                   "noise-0.1_dropattn-0", "noise-0.5_dropattn-0",
                                   "noise-0.5_dropattn-0.1", "kind-mdm"};
  EXPECT_EQ(names(s), want);
  Config tied = load_config(s.runs[1].base, s.runs[1].set_args());
  EXPECT_DOUBLE_EQ(tied.model.dropout_attn, 0.1);
  EXPECT_DOUBLE_EQ(tied.model.dropout_resid, 0.1);
  Config mdm = load_config(s.runs.back().base, s.runs.back().set_args());
  EXPECT_EQ(mdm.objective.kind, ObjectiveKind::kMdm);  // include overrides `set`
}

TEST(Sweep, BaseAxisAndLabelCollisions) {
  TempDir dir;
  write_file(dir.file("cfg/model_s.yaml"), "model:\n  d_model: 128\n");
  write_file(dir.file("cfg/model_l.yaml"), "model:\n  d_model: 256\n");
  write_file(dir.file("s.yaml"),
             "name: size\ngrid:\n  base: [cfg/model_s.yaml, cfg/model_l.yaml]\n"
             "  model.dropout_resid: [0, 0.5]\n  train.dropout_resid: [1]\n");
  // train.dropout_resid does not exist: the error names file, line and key.
  std::string err = usage_error([&] { load_sweep(dir.file("s.yaml")); });
  EXPECT_NE(err.find("s.yaml:5"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown config key 'train.dropout_resid' in grid"), std::string::npos) << err;
  EXPECT_NE(err.find("did you mean 'model.dropout_resid'"), std::string::npos) << err;

  write_file(dir.file("s.yaml"),
             "name: size\ngrid:\n  base: [cfg/model_s.yaml, cfg/model_l.yaml]\n"
             "  model.dropout_resid: [0, 0.5]\n  model.dropout_attn: [0, 0.5]\n"
             "exclude:\n  - {model.dropout_attn: 0}\n");
  Sweep s = load_sweep(dir.file("s.yaml"));
  ASSERT_EQ(s.runs.size(), 4u);
  EXPECT_EQ(s.runs[0].name, "base-model_s_dropout-0_dropattn-0.5");
  EXPECT_EQ(s.runs[3].name, "base-model_l_dropout-0.5_dropattn-0.5");
  EXPECT_EQ(load_config(s.runs[3].base, s.runs[3].set_args()).model.d_model, 256);
}

TEST(Sweep, Errors) {
  TempDir dir;
  write_file(dir.file("base.yaml"), "");
  auto err_of = [&](const std::string& text) {
    write_file(dir.file("e.yaml"), text);
    return usage_error([&] { load_sweep(dir.file("e.yaml")); });
  };
  std::string e = err_of("name: x\nbase: base.yaml\ngrid:\n  objective.knd: [ar]\n");
  EXPECT_NE(e.find("e.yaml:4"), std::string::npos) << e;
  EXPECT_NE(e.find("objective.knd"), std::string::npos) << e;
  EXPECT_NE(e.find("objective.kind"), std::string::npos) << e;
  e = err_of("name: x\nbase: base.yaml\ngird:\n  objective.kind: [ar]\n");
  EXPECT_NE(e.find("unknown sweep key 'gird'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'grid'"), std::string::npos) << e;
  // A value the strict loader refuses names the run.
  e = err_of("name: x\nbase: base.yaml\ngrid:\n  objective.kind: [ar, mdn]\n");
  EXPECT_NE(e.find("run 'kind-mdn'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'mdm'"), std::string::npos) << e;
  e = err_of("name: x\nbase: base.yaml\nset:\n  run.name: y\n");
  EXPECT_NE(e.find("set by the sweep"), std::string::npos) << e;
  e = err_of("name: x\nbase: nope.yaml\n");
  EXPECT_NE(e.find("nope.yaml"), std::string::npos) << e;
  e = err_of("base: base.yaml\n");
  EXPECT_NE(e.find("missing 'name"), std::string::npos) << e;
  e = err_of("name: x\nbase: base.yaml\ngrid:\n  objective.kind: [ar]\ninclude:\n  - {}\n");
  EXPECT_NE(e.find("both named 'base'"), std::string::npos) << e;
}

// The runs go to <out>/<name>/, so the name is one plain folder name, as
// run.name is: '..' would put them beside <out>, 'a/b' below another folder.
TEST(Sweep, NameMustBeOnePlainFolderName) {
  TempDir dir;
  write_file(dir.file("base.yaml"), "");
  for (const char* bad : {"..", ".", "a/b", "\"\"", ".hidden", "../x", "a b"}) {
    write_file(dir.file("n.yaml"), str_cat("name: ", bad, "\nbase: base.yaml\n"));
    std::string e = usage_error([&] { load_sweep(dir.file("n.yaml"), dir.file("out")); });
    EXPECT_NE(e.find("n.yaml:1"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("one plain folder name"), std::string::npos) << bad << ": " << e;
  }
  for (const char* good : {"fig1_data-budget", "v1.2"}) {
    write_file(dir.file("n.yaml"), str_cat("name: ", good, "\nbase: base.yaml\n"));
    EXPECT_EQ(load_sweep(dir.file("n.yaml"), dir.file("out")).name, good);
  }
}

TEST(Sweep, ValueLabels) {
  EXPECT_EQ(sweep_value_label("100000"), "100k");
  EXPECT_EQ(sweep_value_label("96000000000"), "96B");
  EXPECT_EQ(sweep_value_label("1500000000"), "1.5B");
  EXPECT_EQ(sweep_value_label("1234567"), "1234567");  // not exact in 2 decimals: kept whole
  EXPECT_EQ(sweep_value_label("12500"), "12.5k");
  EXPECT_EQ(sweep_value_label("0.10"), "0.1");
  EXPECT_EQ(sweep_value_label("1.0e-3"), "0.001");
  EXPECT_EQ(sweep_value_label("mdm"), "mdm");
  EXPECT_EQ(sweep_value_label("data/python-stdlib-byte/"), "python-stdlib-byte");
  EXPECT_EQ(sweep_value_label("[a.jsonl, b.jsonl]"), "a.jsonl+b.jsonl");
  EXPECT_EQ(sweep_key_label("data.unique_tokens"), "unique");
  EXPECT_EQ(sweep_key_label("train.lr_warmup_steps"), "lrwarmupsteps");
  EXPECT_EQ(sweep_run_name({}), "base");
}

}  // namespace
}  // namespace crossover
