// The metric log: rows land in both files; a resumed run drops rows logged
// after its checkpoint; a torn last line (crash mid-write) is ignored.
#include "crossover/io/metrics.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

MetricRow row(const char* kind, int64_t step, double loss) {
  MetricRow r;
  r["kind"] = kind;
  r["step"] = step;
  r[std::string(kind) == "train" ? "loss" : "val_loss"] = loss;
  return r;
}

TEST(Metrics, ResumeKeepsRowsThroughCheckpointStep) {
  TempDir dir;
  {
    MetricsWriter w(dir.path().string(), metrics_csv_columns({}), -1);
    for (int s = 1; s <= 6; ++s) w.write(row("train", s, 1.0 / s));
    w.write(row("val", 4, 0.5));
  }
  {
    MetricsWriter w(dir.path().string(), metrics_csv_columns({}), 4);  // resumed at step 4
    w.write(row("train", 5, 0.25));
  }
  auto rows = read_metrics(dir.file("metrics.jsonl"));
  ASSERT_EQ(rows.size(), 6u);  // train 1-4, val 4, train 5 (re-logged)
  EXPECT_EQ(rows.back()["loss"].get<double>(), 0.25);
  EXPECT_EQ(read_metrics(dir.file("metrics.jsonl"), "val").size(), 1u);
  std::string csv = read_file(dir.file("metrics.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);  // header + 6 rows
  EXPECT_EQ(csv.rfind("kind,step,tokens", 0), 0u);
}

TEST(Metrics, TornLastLineIsIgnored) {
  TempDir dir;
  crossover::testing::write_file(dir.file("metrics.jsonl"),
                                 "{\"kind\":\"train\",\"step\":1}\n{\"kind\":\"tr");
  EXPECT_EQ(read_metrics(dir.file("metrics.jsonl")).size(), 1u);
}

}  // namespace
}  // namespace crossover
