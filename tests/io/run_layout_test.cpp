// Run-directory layout: the names docs/formats.md documents, and the finished
// marker, which only a complete summary with "status": "finished" sets.
#include "crossover/io/run_layout.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

TEST(RunLayout, NamesAreTheDocumentedOnes) {
  const std::string doc = read_file(source_path("docs/formats.md"));
  for (const auto& path : {run_config_path("r"), run_log_path("r"), run_metrics_jsonl_path("r"),
                           run_metrics_csv_path("r"), run_summary_path("r"), run_checkpoints_dir("r")}) {
    ASSERT_EQ(path.rfind("r/", 0), 0u) << path;
    EXPECT_NE(doc.find(path.substr(2)), std::string::npos) << path << " is not in docs/formats.md";
  }
  EXPECT_EQ(step_checkpoint_name(120), "step_00000120");
  EXPECT_EQ(epoch_checkpoint_name(3), "epoch_0003");
}

TEST(RunLayout, OnlyACompleteFinishedSummaryMarksARunFinished) {
  TempDir dir;
  const std::string run = dir.path().string();
  EXPECT_FALSE(run_is_finished(run));  // no summary
  for (const char* text : {"{\"status\": \"finis", "[1, 2]", "{\"status\": \"stopped\"}", ""}) {
    write_file(run_summary_path(run), text);
    EXPECT_FALSE(run_is_finished(run)) << text;
  }
  write_file(run_summary_path(run), "{\"status\": \"finished\", \"steps\": 3}\n");
  EXPECT_TRUE(run_is_finished(run));
  EXPECT_FALSE(load_latest_run_checkpoint(run).has_value());  // no checkpoints/
}

}  // namespace
}  // namespace crossover
