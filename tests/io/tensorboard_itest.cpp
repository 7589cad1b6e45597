// A real run's TensorBoard event files, read back by the tensorboard package's
// own reader, hold exactly the scalars of its metrics.jsonl (train loss, lr,
// grad norm, tokens/s, MFU, val loss ± se, task metrics), step for step;
// train.tensorboard: false writes none. A ~30k-parameter model, seconds.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "io/tensorboard_check.h"
#include "test_util.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;
using namespace crossover::testing;  // test_util.h

std::string config(const TempDir& dir, const std::string& name, bool tensorboard) {
  std::string path = dir.file(name + ".yaml");
  write_file(path, "base: " + source_path("configs/base.yaml") + "\nrun:\n  name: " + name +
                       "\n  dir: " + dir.file("runs") + "\nruntime:\n  threads: 1\n  device: cpu\n"
                       "model:\n  d_model: 32\n  n_layers: 2\n  n_heads: 2\n  max_seq_len: 64\n"
                       "objective:\n  kind: mdm\ndata:\n  path: " + dir.file("data") +
                       "\n  seq_len: 64\ntrain:\n  total_tokens: 20480\n  batch_size: 8\n"
                       "  lr_warmup_steps: 5\n  log_every: 5\n  eval_every: 20\n"
                       "  tensorboard: " + (tensorboard ? "true" : "false") + "\n"
                       "eval:\n  val_tokens: 1024\n  mc_samples: 1\n  tasks: [" +
                       dir.file("tasks/nextline.jsonl") + "]\n  task_mc_samples: 2\n"
                       "  task_limit: 6\n");
  return path;
}

TEST(TensorBoardRun, EventFilesHoldExactlyTheMetricsOfTheRun) {
  TempDir dir;
  crossover::testing::make_tiny_dataset(dir);
  auto r = run_crossover("data make-tasks " + dir.file("data") + " --out " +
                         dir.file("tasks/nextline.jsonl") + " --items 12 --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = run_crossover("train " + config(dir, "tb", true));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto c = crossover::testing::check_tensorboard_matches_metrics(dir.file("runs/tb"));
  if (c.reader_missing) GTEST_SKIP() << "the venv has no tensorboard package: " << c.error;
  EXPECT_EQ(c.error, "");
  std::cout << "[ tensorboard ] " << c.scalars << " scalars equal in the event file and metrics.jsonl\n";
  EXPECT_GT(c.scalars, 50u);

  r = run_crossover("train " + config(dir, "no_tb", false));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const auto& e : fs::directory_iterator(dir.file("runs/no_tb")))
    EXPECT_EQ(e.path().filename().string().find("tfevents"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace crossover
