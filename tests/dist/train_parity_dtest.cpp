// Data-parallel training against the world-size-1 truth: two Gloo ranks with
// per-rank batch b must reproduce one process with batch 2b split into two
// micro-batches of b — the same rows, masks and dropout per micro-batch (RNG
// streams are keyed by the global micro-batch index) — so losses and final
// weights agree up to fp32 summation order. Tolerance: 1e-5 relative on every
// logged loss, 1e-4 relative (to the largest weight) on the final weights.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "crossover/io/metrics.h"
#include "crossover/io/safetensors.h"
#include "test_util.h"

namespace crossover {
namespace {
using crossover::testing::run_shell;
using crossover::testing::TempDir;
using crossover::testing::write_file;

void expect_parity(const std::string& kind) {
  TempDir dir;
  std::string data = crossover::testing::make_tiny_dataset(dir);
  std::string cfg = dir.file("cfg.yaml");
  write_file(cfg, "base: " + crossover::testing::source_path("configs/base.yaml") +
                      "\nrun:\n  dir: " + dir.file("runs") +
                      "\nruntime:\n  threads: 1\n  device: cpu\n"
                      "model:\n  d_model: 32\n  n_layers: 2\n  n_heads: 2\n  max_seq_len: 32\n"
                      "  dropout_resid: 0.1\nobjective:\n  kind: " + kind +
                      "\ndata:\n  path: " + data + "\n  seq_len: 32\n  unique_tokens: 2048\n"
                      "train:\n  total_tokens: 3840\n  batch_size: 8\n  micro_batch_size: 4\n"
                      "  lr: 3.0e-3\n  lr_warmup_steps: 3\n  log_every: 1\n  eval_every: 5\n"
                      "eval:\n  val_tokens: 1024\n  mc_samples: 2\n");
  const std::string bin = CROSSOVER_BINARY;
  auto one = run_shell(bin + " train " + cfg + " --set run.name=w1");
  ASSERT_EQ(one.exit_code, 0) << one.out;
  auto two = run_shell(crossover::testing::source_path("scripts/launch.sh") +
                       " --nproc_per_node 2 -- " + bin + " train " + cfg + " --set run.name=w2");
  ASSERT_EQ(two.exit_code, 0) << two.out;
  for (const char* k : {"train", "val"}) {
    auto a = read_metrics(dir.file("runs/w1/metrics.jsonl"), k);
    auto b = read_metrics(dir.file("runs/w2/metrics.jsonl"), k);
    ASSERT_EQ(a.size(), b.size()) << k;
    ASSERT_GT(a.size(), 0u);
    const char* key = std::string(k) == "train" ? "loss" : "val_loss";
    for (size_t i = 0; i < a.size(); ++i) {
      double x = a[i][key].get<double>(), y = b[i][key].get<double>();
      EXPECT_NEAR(x, y, 1e-5 * std::fabs(x)) << kind << " " << k << " row " << i;
    }
  }
  auto wa = load_safetensors(dir.file("runs/w1/checkpoints/step_00000015/model.safetensors"));
  auto wb = load_safetensors(dir.file("runs/w2/checkpoints/step_00000015/model.safetensors"));
  ASSERT_EQ(wa.size(), wb.size());
  for (auto& [name, t] : wa) {
    double scale = std::max(t.abs().max().item<double>(), 1e-6);
    EXPECT_LT((t - wb.at(name)).abs().max().item<double>() / scale, 1e-4) << kind << " " << name;
  }
}

TEST(DistTrain, ResumingAtAnotherWorldSizeSaysSo) {
  TempDir dir;
  std::string data = crossover::testing::make_tiny_dataset(dir);
  std::string cfg = dir.file("cfg.yaml");
  write_file(cfg, "base: " + crossover::testing::source_path("configs/base.yaml") +
                      "\nrun:\n  name: ws\n  dir: " + dir.file("runs") +
                      "\nruntime:\n  threads: 1\n  device: cpu\n"
                      "model:\n  d_model: 32\n  n_layers: 2\n  n_heads: 2\n  max_seq_len: 32\n"
                      "data:\n  path: " + data + "\n  seq_len: 32\n  unique_tokens: 2048\n"
                      "train:\n  total_tokens: 1280\n  batch_size: 8\n  lr_warmup_steps: 2\n"
                      "eval:\n  val_tokens: 1024\n");
  const std::string bin = CROSSOVER_BINARY;
  auto two = run_shell(crossover::testing::source_path("scripts/launch.sh") +
                       " --nproc_per_node 2 -- " + bin + " train " + cfg);
  ASSERT_EQ(two.exit_code, 0) << two.out;
  std::filesystem::remove(dir.file("runs/ws/summary.json"));  // continue it for a longer budget
  auto one = run_shell(bin + " train " + cfg + " --set train.total_tokens=2560 --resume auto");
  ASSERT_EQ(one.exit_code, 0) << one.out;
  EXPECT_NE(one.out.find("written at world size 2 at world size 1"), std::string::npos) << one.out;
}

TEST(DistTrain, TwoRanksMatchOneRankAr) { expect_parity("ar"); }
TEST(DistTrain, TwoRanksMatchOneRankMdm) { expect_parity("mdm"); }

}  // namespace
}  // namespace crossover
