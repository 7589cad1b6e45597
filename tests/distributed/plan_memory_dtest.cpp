// The planner's memory parts (train/plan.h) against the bytes `crossover
// train` really holds, at world size 2 on CPU (Gloo), per dist.shard: the
// trainer logs what each rank held during step 1 — weights, .grad at its most
// (after each micro-batch's backward, and ZeRO-2's largest transient .grad),
// the gradient-sync buffers at their peak (GradSync::peak_bytes), the AdamW
// moments — and `crossover plan --gpus 2 --gpu cpu --json` must give the same
// numbers. Tolerance: 0.1%, the zero padding of each bucket to a multiple of
// W (at most W-1 elements a bucket) that the planner leaves out.
//
// Two micro-batches per rank, so ZeRO-2's old behaviour (a full .grad
// accumulated over the first micro-batch) would show as 4 P of gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

std::string memory_config(TempDir& dir) {
  std::string data = make_tiny_dataset(dir);
  std::string cfg = dir.file("cfg.yaml");
  write_file(cfg, "base: " + source_path("configs/base.yaml") + "\nrun:\n  dir: " + dir.file("runs") +
                      "\nruntime:\n  threads: 1\n  device: cpu\n"
                      "model:\n  d_model: 32\n  n_layers: 2\n  n_heads: 2\n  max_seq_len: 32\n"
                      "data:\n  path: " + data + "\n  seq_len: 32\n  unique_tokens: 2048\n"
                      "train:\n  total_tokens: 512\n  batch_size: 8\n  micro_batch_size: 2\n"
                      "  log_every: 1\n  eval_every: 0\n  ckpt_every: 0\n"
                      "eval:\n  val_tokens: 256\n  mc_samples: 1\n");
  return cfg;
}

struct Held {
  double weights = -1, gradients = -1, grad_buffers = -1, optimizer = -1;
};

Held parse_held(const std::string& out) {
  std::smatch m;
  static const std::regex re(
      "held per rank in step 1 \\(bytes\\): weights (\\d+) gradients (\\d+) grad_buffers (\\d+) "
      "optimizer (\\d+)");
  Held h;
  if (std::regex_search(out, m, re)) {
    h.weights = std::stod(m[1]);
    h.gradients = std::stod(m[2]);
    h.grad_buffers = std::stod(m[3]);
    h.optimizer = std::stod(m[4]);
  }
  return h;
}

void expect_close(double planned, double held, const std::string& what) {
  EXPECT_NEAR(planned, held, 1e-3 * std::max(held, 1.0)) << what << ": planned " << planned
                                                         << " held " << held;
}

void expect_plan_matches(const std::string& shard, const std::string& grad_dtype = "fp32") {
  TempDir dir;
  const std::string cfg = memory_config(dir);
  const std::string sets = " --set dist.shard=" + shard + " --set dist.grad_dtype=" + grad_dtype;
  RunResult t = run_shell(source_path("scripts/launch.sh") + " --nproc_per_node 2 -- " +
                          CROSSOVER_BINARY + " train " + cfg + " --set run.name=m" + sets);
  ASSERT_EQ(t.exit_code, 0) << t.out;
  Held held = parse_held(t.out);
  ASSERT_GE(held.weights, 0) << t.out;
  RunResult p = run_crossover("plan " + cfg + sets + " --gpus 2 --gpu cpu --json");
  ASSERT_EQ(p.exit_code, 0) << p.out;
  auto j = nlohmann::json::parse(p.out)["memory"][shard]["none"];
  const std::string what = shard + "/" + grad_dtype;
  std::cout << what << ": held weights " << held.weights << " gradients " << held.gradients
            << " grad_buffers " << held.grad_buffers << " optimizer " << held.optimizer
            << " | planned " << j["weights"] << " " << j["gradients"] << " " << j["grad_buffers"]
            << " " << j["optimizer"] << "\n";
  expect_close(j["weights"].get<double>(), held.weights, what + " weights");
  expect_close(j["gradients"].get<double>(), held.gradients, what + " gradients");
  expect_close(j["grad_buffers"].get<double>(), held.grad_buffers, what + " grad_buffers");
  expect_close(j["optimizer"].get<double>(), held.optimizer, what + " optimizer");
}

// Two ranks, 8 steps, a metrics row every 4: the loop reads the device twice
// (the rows) plus once in step 1 (which parameters got gradients: asked until
// all have), under every shard mode. Before: loss .item() + its all-reduce, the
// clip norm (sharded: its .item() and its all-reduce), GradSync's used-set
// all-reduce + .cpu() and the stop-flag all-reduce: 5 a step (6 sharded), 40-48.
TEST(PlanMemory, TwoRanksReadTheHostOnlyAtLogTime) {
  for (const char* shard : {"none", "optimizer", "gradients"}) {
    TempDir dir;
    const std::string cfg = memory_config(dir);
    RunResult t = run_shell(source_path("scripts/launch.sh") + " --nproc_per_node 2 -- " +
                            CROSSOVER_BINARY + " train " + cfg + " --set run.name=s --set dist.shard=" +
                            shard + " --set train.total_tokens=2048 --set train.log_every=4");
    ASSERT_EQ(t.exit_code, 0) << t.out;
    EXPECT_NE(t.out.find("host syncs in training: 3 in 8 steps"), std::string::npos) << shard << "\n" << t.out;
  }
}

TEST(PlanMemory, NoneMatchesWhatTheTrainerHolds) { expect_plan_matches("none"); }
TEST(PlanMemory, OptimizerMatchesWhatTheTrainerHolds) { expect_plan_matches("optimizer"); }
TEST(PlanMemory, GradientsMatchesWhatTheTrainerHolds) { expect_plan_matches("gradients"); }
TEST(PlanMemory, Bf16BucketsMatchWhatTheTrainerHolds) {
  expect_plan_matches("none", "bf16");
  expect_plan_matches("gradients", "bf16");
}

}  // namespace
}  // namespace crossover
