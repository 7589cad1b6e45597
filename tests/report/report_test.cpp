// The report: the CSV of a checked-in fixture against its expected file, grouping
// by everything but the objective, seed averaging, and run-directory status.
#include "crossover/report/report_render.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <set>
#include <sys/file.h>
#include <unistd.h>

#include <cmath>

#include "crossover/config/loader.h"
#include "crossover/report/run_dir.h"
#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

Report fixture_report() {
  std::vector<RunData> runs;
  for (const auto& d : find_run_dirs({source_path("tests/fixtures/report")})) runs.push_back(load_run(d));
  return build_report(std::move(runs), {});
}

TEST(Report, FixtureCsvMatchesExpected) {
  Report r = fixture_report();
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.metrics, (std::vector<std::string>{"val_loss", "task/mc/acc", "task/mc/acc_norm"}));
  std::string csv = report_csv(r);
  EXPECT_EQ(csv, read_file(source_path("tests/fixtures/report/expected.csv")));
  // The hand-worked values (tests/fixtures/report/README.md), independently of the file.
  EXPECT_NE(csv.find("all,kind-ar,kind-mdm,val_loss,lower,current,crossover,2800,2.8,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("all,kind-ar,kind-mdm,val_loss,lower,best,none,,,"), std::string::npos);
  EXPECT_NE(csv.find("task/mc/acc,higher,current,crossover,2400,2.4,"), std::string::npos);
  EXPECT_NE(csv.find("task/mc/acc,higher,best,crossover,2400,2.4,"), std::string::npos);
  EXPECT_NE(csv.find("task/mc/acc_norm,higher,current,crossover,3750,3.75,"), std::string::npos);
}

TEST(Report, JsonCarriesRunsAndBothKinds) {
  std::string js = report_json(fixture_report());
  for (const char* frag : {"\"family\": \"dlm\"", "\"status\": \"finished\"", "\"best\"", "\"current\"",
                           "\"params_nonembed\": 106944", "\"unique_tokens\": 1000",
                           "tests/fixtures/report/mdm\""})
    EXPECT_NE(js.find(frag), std::string::npos) << frag << "\n" << js;
}

TEST(Report, ParamsCountByHand) {
  // d 64, 2 layers, 2 heads (D 32), d_ff auto = 192, qk_norm:
  // attention 64*64 + 2*64*64 + 64*64 + 2*32 = 16448; SwiGLU 3*64*192 = 36864;
  // two norms 128 per layer; final norm 64. MoE adds a 64 x 8 router per layer.
  Config c = load_config_from_string("model:\n  d_model: 64\n  n_layers: 2\n  n_heads: 2\n", "t");
  EXPECT_EQ(model_params_nonembed(c.model, false), 2 * (16448 + 36864 + 128) + 64);
  c.model.moe_experts = 8;
  c.model.moe_top_k = 1;
  EXPECT_EQ(model_params_nonembed(c.model, false), 2 * (16448 + 8 * 36864 + 64 * 8 + 128) + 64);
  EXPECT_EQ(model_params_nonembed(c.model, true), 2 * (16448 + 36864 + 64 * 8 + 128) + 64);  // router is active
}

RunData fake_run(const std::string& kind, int seed, int64_t unique, const std::vector<double>& x,
                 const std::vector<double>& y, const std::string& extra = "", int64_t block = 0) {
  RunData r;
  r.dir = str_cat("runs/x/", kind, "-", unique, "-", seed, block ? str_cat("-b", block) : "");
  r.config = load_config_from_string(
      str_cat("objective:\n  kind: ", kind, block ? str_cat("\n  block_size: ", block) : "",
              "\ndata:\n  unique_tokens: ", unique, "\n", extra), "t",
      {str_cat("run.seed=", seed), str_cat("run.name=", kind, "-", unique, "-", seed, "-b", block),
       str_cat("runtime.threads=", seed)});  // runtime differs: must not split groups
  for (const auto& kv : config_settings(r.config)) r.settings[kv.first] = kv.second;
  r.curves["val_loss"] = Curve{x, y};
  return r;
}

TEST(Report, GroupsByEverythingButObjectiveAndAveragesSeeds) {
  // Two seeds per variant with noise that cancels in the mean: the mean curves
  // are AR = 3 and DLM = 4 - x/100, which cross at exactly 100 tokens.
  std::vector<double> x;
  for (int i = 0; i <= 12; ++i) x.push_back(25.0 * i);
  std::vector<RunData> runs;
  for (int seed : {1, 2}) {
    double s = seed == 1 ? 1 : -1;
    std::vector<double> ar, dlm;
    for (size_t i = 0; i < x.size(); ++i) {
      double e = (i % 2 ? 0.2 : -0.2) * s, f = (i % 3 ? 0.15 : -0.1) * s;
      ar.push_back(3 + e);
      dlm.push_back(4 - x[i] / 100 + f);
    }
    runs.push_back(fake_run("ar", seed, 1000, x, ar));
    runs.push_back(fake_run("mdm", seed, 1000, x, dlm));
  }
  // A second group (different unique budget) and an AR variant with dropout.
  runs.push_back(fake_run("mdm", 1, 2000, {0, 100}, {5, 1}));
  runs.push_back(fake_run("ar", 1, 2000, {0, 100}, {2, 2}));
  runs.push_back(fake_run("ar", 1, 2000, {0, 100}, {3, 0.5}, "model:\n  dropout_resid: 0.1\n"));
  Report r = build_report(std::move(runs), {"val_loss"});
  ASSERT_EQ(r.groups.size(), 2u);
  const ReportGroup& g = r.groups[0];
  EXPECT_EQ(g.label, "unique-1k");
  ASSERT_EQ(g.variants.size(), 2u);
  EXPECT_EQ(g.variants[0].label, "kind-ar_dropout-0");
  EXPECT_EQ(g.variants[0].runs.size(), 2u);
  ASSERT_EQ(g.comparisons.size(), 1u);
  const CrossoverSummary& cur = g.comparisons[0].current;
  EXPECT_EQ(cur.mean_curve.status, CrossoverStatus::kCrossover);
  EXPECT_NEAR(cur.mean_curve.tokens, 100, 1e-9);
  EXPECT_NEAR(cur.epoch, 0.1, 1e-12);  // no epoch curve: tokens / data.unique_tokens
  EXPECT_EQ(cur.seed_n, 2);
  EXPECT_EQ(cur.seeds_crossed, 2);
  EXPECT_GT(cur.seed_std, 0);         // the seeds disagree ...
  EXPECT_NEAR(cur.seed_mean, 100, 30);  // ... around the mean-curve answer
  const ReportVariant& ar = g.variants[0];
  EXPECT_EQ(ar.metrics[0].n, 2);
  EXPECT_NEAR(ar.metrics[0].final_mean, 3, 1e-12);
  EXPECT_NEAR(ar.metrics[0].final_std, 0.4 / std::sqrt(2.0), 1e-12);

  const ReportGroup& h = r.groups[1];
  EXPECT_EQ(h.label, "unique-2k");
  ASSERT_EQ(h.variants.size(), 3u);  // ar, ar + dropout, mdm: two comparisons
  ASSERT_EQ(h.comparisons.size(), 2u);
  EXPECT_EQ(h.variants[1].label, "kind-ar_dropout-0.1");
  EXPECT_EQ(h.comparisons[0].current.mean_curve.status, CrossoverStatus::kCrossover);  // at 75
  EXPECT_NEAR(h.comparisons[0].current.mean_curve.tokens, 75, 1e-9);
  EXPECT_EQ(h.comparisons[1].current.mean_curve.status, CrossoverStatus::kNone);
  std::string table = report_table(r);
  EXPECT_NE(table.find("none within 100"), std::string::npos) << table;
}

// Block diffusion appears as the other objectives do: each block size its own
// DLM-side variant (objective.block_size is a variant key), compared with AR.
TEST(Report, Bd3BlockSizesAreDlmVariantsComparedWithAr) {
  const std::vector<double> x = {0, 100, 200};
  std::vector<RunData> runs;
  for (int seed : {1, 2}) {
    runs.push_back(fake_run("ar", seed, 1000, x, {4, 3, 3}));
    runs.push_back(fake_run("mdm", seed, 1000, x, {5, 3.5, 2}));
    runs.push_back(fake_run("bd3", seed, 1000, x, {5, 2.5, 2.5}, "", 4));
    runs.push_back(fake_run("bd3", seed, 1000, x, {5, 4, 3.5}, "", 16));
  }
  Report r = build_report(std::move(runs), {"val_loss"});
  ASSERT_EQ(r.groups.size(), 1u) << "the block size must not split groups";
  const ReportGroup& g = r.groups[0];
  ASSERT_EQ(g.variants.size(), 4u);
  EXPECT_EQ(g.variants[0].kind, "ar");
  EXPECT_FALSE(g.variants[0].dlm);
  std::set<std::string> labels;
  int bd3 = 0;
  for (const auto& v : g.variants) {
    labels.insert(v.label);
    EXPECT_EQ(v.runs.size(), 2u) << v.label;
    if (v.kind == "bd3") {
      ++bd3;
      EXPECT_TRUE(v.dlm) << v.label;
    }
  }
  EXPECT_EQ(bd3, 2);
  EXPECT_EQ(labels.size(), 4u) << "variants must be told apart by their labels";
  ASSERT_EQ(g.comparisons.size(), 3u);  // AR against mdm, bd3 b=4, bd3 b=16
  for (const auto& c : g.comparisons) {
    const ReportVariant& d = g.variants[c.dlm];
    const Crossover& cur = c.current.mean_curve;
    // The gaps (DLM − AR) are linear between evaluations: mdm 1, 0.5, −1 crosses
    // at 100 + 100/3; b=4 1, −0.5 at 200/3; b=16 1, 1, 0.5 never.
    if (d.kind == "mdm") EXPECT_NEAR(cur.tokens, 100 + 100.0 / 3, 1e-6);
    if (d.kind == "bd3" && d.label.find("16") == std::string::npos) EXPECT_NEAR(cur.tokens, 200.0 / 3, 1e-6);
    if (d.kind == "bd3" && d.label.find("16") != std::string::npos)
      EXPECT_EQ(cur.status, CrossoverStatus::kNone) << d.label;
  }
  const std::string table = report_table(r);
  for (const auto& l : labels) EXPECT_NE(table.find(l), std::string::npos) << table;
}

TEST(Report, SubsetSeedIsAReplicateNotAGroup) {
  // A figure that draws its data per seed ties data.subset_seed to run.seed:
  // the runs stay one group, and each (run.seed, subset_seed) is its own
  // replicate, even two that share run.seed.
  std::vector<RunData> runs;
  const std::vector<double> x = {0, 100, 200};
  int k = 0;
  for (auto [seed, subset] : std::vector<std::pair<int, int>>{{1, 11}, {2, 22}, {1, 33}}) {
    double off = 0.1 * k++;
    RunData a = fake_run("ar", seed, 1000, x, {3 + off, 3 + off, 3 + off}, "");
    RunData d = fake_run("mdm", seed, 1000, x, {4 + off, 3 + off, 2 + off}, "");
    a.config.data.subset_seed = d.config.data.subset_seed = subset;
    a.settings["data.subset_seed"] = d.settings["data.subset_seed"] = std::to_string(subset);
    a.dir += str_cat("-", subset);
    d.dir += str_cat("-", subset);
    runs.push_back(a);
    runs.push_back(d);
  }
  Report r = build_report(std::move(runs), {"val_loss"});
  ASSERT_EQ(r.groups.size(), 1u);
  ASSERT_EQ(r.groups[0].variants.size(), 2u);
  EXPECT_EQ(r.groups[0].variants[0].runs.size(), 3u);
  EXPECT_EQ(r.groups[0].variants[0].metrics[0].n, 3);
  const CrossoverSummary& cur = r.groups[0].comparisons[0].current;
  EXPECT_EQ(cur.seed_n, 3);  // three replicates, though two share run.seed
  EXPECT_NEAR(cur.mean_curve.tokens, 100, 1e-9);
  EXPECT_NE(report_json(r).find("\"subset_seed\": 33"), std::string::npos);
}

TEST(Report, GroupingFlagsMoveKeysBetweenGroupsAndVariants) {
  // Each paradigm at its own LR ("each tuned") and an annealed AR branch with its
  // own total_tokens and decay: by the roles alone that is four groups of one
  // variant each and no comparison; with --variant-key train.lr,
  // train.lr_decay_frac and --ignore-key train.total_tokens, one group of three
  // variants and two AR-vs-DLM comparisons.
  const std::vector<double> x = {0, 100, 200};
  auto runs = [&] {
    std::vector<RunData> v;
    for (int seed : {1, 2}) {
      v.push_back(fake_run("ar", seed, 1000, x, {4, 3, 3.5}, "train:\n  lr: 0.003\n"));
      v.push_back(fake_run("mdm", seed, 1000, x, {5, 3.5, 2}, "train:\n  lr: 0.001\n"));
      RunData b = fake_run("ar", seed, 1000, {0, 100, 150}, {4, 3, 2.9},
                           "train:\n  lr: 0.003\n  lr_decay_frac: 0.2\n  total_tokens: 600000\n");
      b.dir += "-anneal";
      v.push_back(b);
    }
    return v;
  };
  const Report plain = build_report(runs(), {"val_loss"});
  EXPECT_EQ(plain.groups.size(), 3u);  // lr 0.003 decay 0.1, lr 0.001, the branch's own budget
  for (const auto& g : plain.groups) EXPECT_TRUE(g.comparisons.empty()) << g.label;

  ReportGrouping grouping;
  grouping.variant_keys = {"train.lr", "train.lr_decay_frac"};
  grouping.ignore_keys = {"train.total_tokens"};
  const Report r = build_report(runs(), {"val_loss"}, grouping);
  ASSERT_EQ(r.groups.size(), 1u);
  const ReportGroup& g = r.groups[0];
  ASSERT_EQ(g.variants.size(), 3u);
  std::set<std::string> labels;
  for (const auto& v : g.variants) {
    labels.insert(v.label);
    EXPECT_EQ(v.runs.size(), 2u) << v.label;
  }
  EXPECT_EQ(labels, (std::set<std::string>{"kind-ar_lr-0.003_lrdecayfrac-0.1", "kind-ar_lr-0.003_lrdecayfrac-0.2",
                                           "kind-mdm_lr-0.001_lrdecayfrac-0.1"}));
  EXPECT_EQ(g.comparisons.size(), 2u);  // both AR variants against the DLM
  for (const auto& v : g.variants) {
    bool has_lr = false;
    for (const auto& kv : v.settings) has_lr |= kv.first == "train.lr";
    EXPECT_TRUE(has_lr) << v.label << ": a --variant-key is one of the variant's settings";
  }
  // Bad keys are one clear error each.
  ReportGrouping typo;
  typo.variant_keys = {"train.lrr"};
  EXPECT_THROW(build_report(runs(), {"val_loss"}, typo), Error);
  ReportGrouping seed;
  seed.ignore_keys = {"run.seed"};
  EXPECT_THROW(build_report(runs(), {"val_loss"}, seed), Error);
  ReportGrouping both;
  both.variant_keys = both.ignore_keys = {"train.lr"};
  EXPECT_THROW(build_report(runs(), {"val_loss"}, both), Error);
}

TEST(RunDir, StatusFromFilesAndLock) {
  TempDir dir;
  std::string run = dir.file("sweep/a");
  EXPECT_EQ(run_status(run), RunStatus::kNew);
  write_file(run + "/log.txt", "");
  EXPECT_EQ(run_status(run), RunStatus::kNew);  // nothing the trainer's contract names yet
  write_file(run + "/metrics.jsonl", "{}\n");
  EXPECT_EQ(run_status(run), RunStatus::kPartial);
  write_file(run + "/summary.json", "{\"status\": \"stopped\"}");
  EXPECT_EQ(run_status(run), RunStatus::kPartial);
  write_file(run + "/summary.json", "{\"status\": \"fini");  // being written
  EXPECT_EQ(run_status(run), RunStatus::kPartial);
  EXPECT_EQ(run_lock_path(run), dir.file("sweep/.a.lock"));
  write_file(run_lock_path(run), "");
  int fd = ::open(run_lock_path(run).c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_EQ(run_status(run), RunStatus::kRunning);
  ::close(fd);
  EXPECT_EQ(run_status(run), RunStatus::kPartial);
  write_file(run + "/summary.json", "{\"status\": \"finished\", \"steps\": 3}");
  EXPECT_EQ(run_status(run), RunStatus::kFinished);
}

TEST(RunDir, FindAndLoadErrors) {
  TempDir dir;
  EXPECT_THROW(find_run_dirs({dir.file("none")}), UsageError);
  EXPECT_THROW(find_run_dirs({dir.path().string()}), UsageError);
  write_file(dir.file("s/r1/config.yaml"), "objective:\n  kind: mdm\n");
  write_file(dir.file("s/r1/checkpoints/step_1/config.yaml"), "");  // not a run
  write_file(dir.file("s/r1/metrics.jsonl"),
             "{\"kind\":\"val\",\"tokens\":10,\"val_loss\":2}\nnot json\n{\"kind\":\"val\",\"tok");
  auto dirs = find_run_dirs({dir.file("s")});
  ASSERT_EQ(dirs.size(), 1u);
  EXPECT_THROW(load_run(dirs[0]), Error);  // a malformed middle line
  write_file(dir.file("s/r1/metrics.jsonl"),
             "{\"kind\":\"val\",\"tokens\":10,\"val_loss\":2}\n{\"kind\":\"val\",\"tok");
  RunData r = load_run(dirs[0]);  // a cut-off last line is an interrupted write
  EXPECT_EQ(r.curves["val_loss"].y, (std::vector<double>{2}));
  EXPECT_EQ(r.status, RunStatus::kPartial);
}

}  // namespace
}  // namespace crossover
