// scripts/sweep.sh against fake run directories and a fake trainer: finished runs
// are skipped, partial and new ones launched with --resume auto, a held lock keeps a
// second job out; every figure script's --dry-run works without data or runs; the
// plotter draws every panel kind from the report fixture.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "crossover/config/loader.h"
#include "crossover/config/sweep.h"
#include "crossover/io/run_lock.h"
#include "crossover/report/run_dir.h"
#include "crossover/util/strings.h"
#include "test_util.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;
using namespace crossover::testing;  // test_util.h

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// A trainer that logs its arguments and finishes the run at once.
const char* kFakeTrain = R"(#!/usr/bin/env bash
echo "$@" >> "$FAKE_LOG"
dir="" name=""
while [ $# -gt 0 ]; do
  case "$1" in --set) case "$2" in run.dir=*) dir=${2#run.dir=};; run.name=*) name=${2#run.name=};; esac; shift;; esac
  shift
done
mkdir -p "$dir/$name"
echo '{"status": "finished", "steps": 1}' > "$dir/$name/summary.json"
)";

struct SweepFixture {
  TempDir dir;
  std::string env;
  SweepFixture() {
    write_file(dir.file("base.yaml"), "model:\n  d_model: 64\n  n_heads: 2\n");
    write_file(dir.file("s.yaml"),
               "name: t\nbase: base.yaml\ngrid:\n  objective.kind: [ar, mdm]\n"
               "  data.unique_tokens: [1000, 2000]\n");
    write_file(dir.file("fake_train.sh"), kFakeTrain);
    fs::permissions(dir.file("fake_train.sh"), fs::perms::owner_all);
    env = "CROSSOVER=" + std::string(CROSSOVER_BINARY) + " CROSSOVER_TRAIN=" + dir.file("fake_train.sh") +
          " FAKE_LOG=" + dir.file("log.txt") + " ";
  }
  testing::RunResult sweep(const std::string& args) {
    return run_shell(env + source_path("scripts/sweep.sh") + " " + dir.file("s.yaml") + " --out " +
                     dir.file("runs") + " " + args);
  }
  std::string log() { return fs::exists(dir.file("log.txt")) ? read_file(dir.file("log.txt")) : ""; }
};

TEST(SweepSh, SkipsFinishedResumesPartialStartsNew) {
  SweepFixture f;
  write_file(f.dir.file("runs/t/kind-ar_unique-1k/summary.json"), "{\"status\": \"finished\"}");
  write_file(f.dir.file("runs/t/kind-ar_unique-2k/metrics.jsonl"), "{\"kind\": \"train\"}\n");
  auto plan = run_shell(std::string(CROSSOVER_BINARY) + " sweep plan " + f.dir.file("s.yaml") +
                        " --out " + f.dir.file("runs"));
  ASSERT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_NE(plan.out.find("1 finished, 1 partial, 0 running, 2 new"), std::string::npos) << plan.out;

  auto dry = f.sweep("--dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.out;
  EXPECT_EQ(f.log(), "");  // nothing ran
  EXPECT_EQ(count(dry.out, "--resume auto"), 3) << dry.out;
  EXPECT_NE(dry.out.find("3 run(s) would be launched"), std::string::npos) << dry.out;

  auto r = f.sweep("");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string log = f.log();
  EXPECT_EQ(count(log, "\n"), 3) << log;
  EXPECT_EQ(count(log, "run.name=kind-ar_unique-1k"), 0) << log;  // finished: skipped
  EXPECT_EQ(count(log, "run.name=kind-ar_unique-2k"), 1) << log;  // partial: resumed
  EXPECT_EQ(count(log, "--resume auto"), 3) << log;
  EXPECT_NE(log.find("run.dir=" + f.dir.file("runs/t")), std::string::npos) << log;
  EXPECT_NE(log.find("objective.kind=mdm --set data.unique_tokens=2000"), std::string::npos) << log;
  EXPECT_NE(r.out.find("[kind-ar_unique-1k] finished: skipped"), std::string::npos) << r.out;
  // Everything is finished now: a second call launches nothing.
  auto again = f.sweep("--jobs 2");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(count(f.log(), "\n"), 3);
  EXPECT_NE(again.out.find("0 run(s) launched"), std::string::npos) << again.out;
}

TEST(SweepSh, HeldLockKeepsASecondJobOutAndJobsRunInParallel) {
  SweepFixture f;
  std::string lock = run_lock_path(f.dir.file("runs/t/kind-mdm_unique-1k"));
  write_file(lock, "");
  int fd = ::open(lock.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto r = f.sweep("--jobs 2");
  ::close(fd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("[kind-mdm_unique-1k] running elsewhere"), std::string::npos) << r.out;
  EXPECT_EQ(count(f.log(), "\n"), 3) << f.log();
  EXPECT_EQ(count(f.log(), "run.name=kind-mdm_unique-1k"), 0);
  EXPECT_EQ(run_status(f.dir.file("runs/t/kind-ar_unique-2k")), RunStatus::kFinished);
  EXPECT_EQ(run_status(f.dir.file("runs/t/kind-mdm_unique-1k")), RunStatus::kNew);
}

// Issue 27 item 10: a run folder written by another sweep file with the same
// name but other settings is not this sweep's finished run: `sweep plan` (and
// so sweep.sh) refuses with one line naming both sweep files and the keys.
// Cadence/runtime differences (--set runtime.threads=3) do not count.
TEST(SweepSh, ASameNamedSweepWithOtherSettingsIsRefusedByName) {
  SweepFixture f;
  auto first = f.sweep("");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_EQ(str_trim(read_file(f.dir.file("runs/t/.sweep_file"))),
            fs::canonical(f.dir.file("s.yaml")).string());
  // What the real trainer leaves: the resolved config of each run.
  for (const auto& run : load_sweep(f.dir.file("s.yaml"), f.dir.file("runs")).runs)
    write_file(f.dir.file("runs/t/" + run.name + "/config.yaml"),
               "# config hash: x\n" + config_to_yaml(load_config(run.base, run.set_args())));
  const std::string plan = std::string(CROSSOVER_BINARY) + " sweep plan --out " + f.dir.file("runs") + " ";
  auto same = run_shell(plan + f.dir.file("s.yaml") + " --set runtime.threads=3");
  ASSERT_EQ(same.exit_code, 0) << same.out;
  EXPECT_NE(same.out.find("4 finished"), std::string::npos) << same.out;

  write_file(f.dir.file("b.yaml"),
             "name: t\nbase: base.yaml\nset:\n  train.lr: 0.002\ngrid:\n  objective.kind: [ar, mdm]\n"
             "  data.unique_tokens: [1000, 2000]\n");
  auto other = run_shell(plan + f.dir.file("b.yaml"));
  EXPECT_EQ(other.exit_code, 2) << other.out;
  EXPECT_EQ(count(other.out, "\n"), 1) << other.out;
  for (const std::string& part : {f.dir.file("b.yaml"), fs::canonical(f.dir.file("s.yaml")).string(),
                                  std::string("train.lr: 0.0003 -> 0.002"), std::string("kind-ar_unique-1k")})
    EXPECT_NE(other.out.find(part), std::string::npos) << part << "\n" << other.out;
  const std::string log_before = f.log();
  auto launched = run_shell(f.env + source_path("scripts/sweep.sh") + " " + f.dir.file("b.yaml") +
                            " --out " + f.dir.file("runs"));
  EXPECT_NE(launched.exit_code, 0) << launched.out;
  EXPECT_EQ(f.log(), log_before);  // nothing was launched
}

// A trainer that finds its run locked exits 75: sweep.sh reports it skipped, not failed.
TEST(SweepSh, ARunLockedByAnotherTrainerIsSkipped) {
  SweepFixture f;
  write_file(f.dir.file("busy.sh"), "#!/usr/bin/env bash\necho busy >> \"$FAKE_LOG\"\nexit 75\n");
  fs::permissions(f.dir.file("busy.sh"), fs::perms::owner_all);
  auto r = run_shell("CROSSOVER=" + std::string(CROSSOVER_BINARY) + " CROSSOVER_TRAIN=" + f.dir.file("busy.sh") +
                     " FAKE_LOG=" + f.dir.file("log.txt") + " " + source_path("scripts/sweep.sh") + " " +
                     f.dir.file("s.yaml") + " --out " + f.dir.file("runs"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(count(r.out, "skipped: another process trains it"), 4) << r.out;
  EXPECT_EQ(count(f.log(), "busy"), 4);
}

TEST(SweepSh, LaunchersAndErrors) {
  SweepFixture f;
  auto tr = f.sweep("--dry-run --launcher torchrun --nproc 4");
  ASSERT_EQ(tr.exit_code, 0) << tr.out;
  EXPECT_NE(tr.out.find("torchrun --no-python --standalone --nproc-per-node 4"), std::string::npos) << tr.out;
  auto sl = f.sweep("--dry-run --launcher slurm --nproc 2");
  ASSERT_EQ(sl.exit_code, 0) << sl.out;
  EXPECT_NE(sl.out.find("sbatch --parsable"), std::string::npos) << sl.out;
  EXPECT_NE(sl.out.find("--gpus-per-node 2"), std::string::npos) << sl.out;
  EXPECT_EQ(f.sweep("--launcher mpi").exit_code, 2);
  write_file(f.dir.file("s.yaml"), "name: t\nbase: base.yaml\ngrid:\n  objective.knd: [ar]\n");
  auto bad = f.sweep("--dry-run");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("s.yaml:4: unknown config key 'objective.knd' in grid"), std::string::npos) << bad.out;
}

TEST(FigureScripts, EveryScriptDryRunsAtBothScales) {
  const char* figs[] = {"fig1_data_budget", "fig2_data_quality", "fig3_model_size",
                        "fig4_sparse_dense", "fig5_input_noise", "fig6_dropout",
                        "fig7_code_at_scale", "fig8_valloss_vs_downstream", "fig9_extreme_repetition",
                        "fig10_block_size", "lr_sweep"};
  // replicate_fig1 and anneal_ar are mini-only: their own tests below.
  TempDir out;
  for (const char* fig : figs)
    for (const char* scale : {"mini", "paper"}) {
      std::string cmd = "CROSSOVER=" + std::string(CROSSOVER_BINARY) + " " +
                        source_path(std::string("scripts/figures/") + fig + ".sh") + " --scale " + scale +
                        " --dry-run --out " + out.file("runs");
      auto r = run_shell(cmd);
      ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.out;
      EXPECT_NE(r.out.find("run(s) would be launched"), std::string::npos) << fig << "\n" << r.out;
      EXPECT_NE(r.out.find(" report "), std::string::npos) << fig << "\n" << r.out;
      EXPECT_NE(r.out.find("plot.py"), std::string::npos) << fig << "\n" << r.out;
      EXPECT_NE(r.out.find("dry run done"), std::string::npos) << fig;
      EXPECT_FALSE(fs::exists(out.file("runs"))) << fig << ": a dry run created run folders";
    }
}

// The annealed-AR script: its parents' sweep dry-runs, it plans the branches, and it
// refuses a scale it has no parents for.
TEST(FigureScripts, AnnealArDryRunsAndRefusesPaperScale) {
  TempDir out;
  const std::string script = "CROSSOVER=" + std::string(CROSSOVER_BINARY) + " " +
                             source_path("scripts/figures/anneal_ar.sh");
  auto r = run_shell(script + " --scale mini --dry-run --out " + out.file("runs"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("4 run(s) would be launched"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("anneal_ar.py plan"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--branch-from"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out.file("runs")));
  auto paper = run_shell(script + " --scale paper --dry-run --out " + out.file("runs"));
  EXPECT_EQ(paper.exit_code, 2) << paper.out;
  EXPECT_NE(paper.out.find("only --scale mini"), std::string::npos) << paper.out;
}

// Figure 1 (mini, dense): 45 runs, AR branches annealed from the AR runs only, and the
// report and fit comparing each paradigm at its own LR with the branches' budgets ignored.
TEST(FigureScripts, Fig1DenseAnnealsArAndComparesEachTuned) {
  TempDir out;
  auto r = run_shell("CROSSOVER=" + std::string(CROSSOVER_BINARY) + " " +
                     source_path("scripts/figures/fig1_data_budget.sh") + " --scale mini --dry-run --out " +
                     out.file("runs"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("45 run(s) would be launched"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--decay-frac 0.2 --kind ar"), std::string::npos) << r.out;
  for (const char* flag : {"--variant-key train.lr --variant-key train.lr_decay_frac --ignore-key train.total_tokens"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out.file("runs")));
}

// The figure-1 replication: 12 + 12 runs, the SentencePiece data prepared first when
// missing, both sweeps reported in bits/byte beside nats/token with each paradigm at its LR.
TEST(FigureScripts, ReplicateFig1DryRunsBothSweepsAndRefusesPaperScale) {
  TempDir out;
  const std::string script = "CROSSOVER=" + std::string(CROSSOVER_BINARY) + " " +
                             source_path("scripts/figures/replicate_fig1.sh");
  auto r = run_shell(script + " --scale mini --dry-run --out " + out.file("runs"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  size_t first = r.out.find("12 run(s) would be launched");
  ASSERT_NE(first, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("12 run(s) would be launched", first + 1), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replicate_sp4k_mini"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replicate_4layer_mini"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--metric val_loss --metric val_bpb"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--variant-key train.lr --ignore-key train.total_tokens"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out.file("runs")));
  auto paper = run_shell(script + " --scale paper --dry-run --out " + out.file("runs"));
  EXPECT_EQ(paper.exit_code, 2) << paper.out;
  EXPECT_NE(paper.out.find("only --scale mini"), std::string::npos) << paper.out;
}

// paired_best.py against hand-computed per-seed differences: best val_loss of the DLM minus
// each AR variant's, paired by seed and budget, with an annealed branch in a second folder.
TEST(FigureScripts, PairedBestDifferencesBySeedAndBudget) {
  TempDir d;
  auto run = [&](const std::string& sweep, const std::string& name, const std::string& losses) {
    write_file(d.file(sweep + "/" + name + "/metrics.jsonl"), losses);
  };
  run("s", "seed-1_unique-10k_base-ar", "{\"step\": 1, \"val_loss\": 3.0}\n{\"step\": 2, \"val_loss\": 2.5}\n{\"loss\": 1.0}\n");
  run("s", "seed-1_unique-10k_base-mdm", "{\"val_loss\": 2.75}\n{\"val_loss\": 2.0}\n");
  run("s", "seed-2_unique-10k_base-ar", "{\"val_loss\": 2.0}\n");
  run("s", "seed-2_unique-10k_base-mdm", "{\"val_loss\": 2.25}\n");
  run("b", "seed-1_unique-10k_base-ar_anneal-0.2", "{\"val_loss\": 1.75}\n");
  run("s", "seed-1_unique-160k_base-mdm", "{\"val_loss\": 1.0}\n");  // no AR partner: no row
  auto r = run_shell(std::string(CROSSOVER_PYTHON) + " " + source_path("scripts/figures/paired_best.py") + " " +
                     d.file("s") + " " + d.file("b"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("| 10k | ar | 1: -0.500, 2: +0.250 | -0.125 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| 10k | ar_anneal-0.2 | 1: +0.250 | +0.250 |"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("| 160k |"), std::string::npos) << r.out;
  auto empty = run_shell(std::string(CROSSOVER_PYTHON) + " " + source_path("scripts/figures/paired_best.py") + " " +
                         d.file("nothing-here"));
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.out.find("is not a folder of runs"), std::string::npos) << empty.out;
}

TEST(Plot, EveryPanelKindFromTheFixture) {
  TempDir out;
  auto rep = run_shell(std::string(CROSSOVER_BINARY) + " report " +
                       source_path("tests/fixtures/report") + " --out " + out.path().string() +
                       " --metric val_loss --metric 'task/*/acc' --metric 'task/*/delta_nll'");
  ASSERT_EQ(rep.exit_code, 0) << rep.out;
  EXPECT_NE(rep.out.find("2 runs, 1 groups"), std::string::npos) << rep.out;
  auto plot = run_shell(std::string(CROSSOVER_PYTHON) + " " + source_path("scripts/plot.py") + " " +
                        out.file("report.json") + " --title fixture --kind curves --kind crossover " +
                        "--kind noise --x data.unique_tokens --kind valloss --kind best");
  ASSERT_EQ(plot.exit_code, 0) << plot.out;
  // The series are drawn, not just the axes and legend: count the pixels in the AR
  // (tab:blue) and DLM (tab:red) colours. A legend alone has ~25 of each; a curve ~1000.
  const std::string count_py =
      "import sys, numpy as np, matplotlib.image as mi, matplotlib.colors as mc\n"
      "for p in sys.argv[1:]:\n"
      "    a = mi.imread(p)[..., :3]\n"
      "    n = [int((np.abs(a - np.array(mc.to_rgb(c))).max(-1) < 0.04).sum()) for c in ('tab:blue', 'tab:red')]\n"
      "    print(p.split('/')[-1], n[0], n[1])\n";
  write_file(out.file("count.py"), count_py);
  struct Want { const char* png; int blue, red, either; };
  const Want wants[] = {{"curves_val_loss.png", 400, 400, 0},     // AR and DLM curves
                        {"curves_task_mc_acc.png", 400, 400, 0},
                        {"valloss_all_mc.png", 400, 400, 0},
                        {"crossover_val_loss.png", 0, 0, 150},    // crossover points
                        {"noise_val_loss.png", 0, 0, 400},        // noise sweep and DLM line
                        {"best_val_loss.png", 40, 40, 0}};        // one point per paradigm
  std::string cmd = std::string(CROSSOVER_PYTHON) + " " + out.file("count.py");
  for (const auto& w : wants) cmd += " " + out.file(w.png);
  auto counted = run_shell(cmd);
  ASSERT_EQ(counted.exit_code, 0) << counted.out;
  std::map<std::string, std::pair<int, int>> pixels;
  std::istringstream lines(counted.out);
  std::string name;
  int blue = 0, red = 0;
  while (lines >> name >> blue >> red) pixels[name] = {blue, red};
  for (const auto& w : wants) {
    ASSERT_TRUE(pixels.count(w.png)) << w.png << "\n" << counted.out;
    auto [b, r] = pixels[w.png];
    EXPECT_GE(b, w.blue) << w.png << ": AR series missing";
    EXPECT_GE(r, w.red) << w.png << ": DLM series missing";
    EXPECT_GE(b + r, w.either) << w.png << ": nothing drawn";
  }
}

}  // namespace
}  // namespace crossover
