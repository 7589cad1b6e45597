// TensorBoard event files: CRC-32C against the standard check value, and the
// files MetricsWriter writes read back by the tensorboard package's own reader
// (EventAccumulator), scalar for scalar equal to metrics.jsonl — including a
// resumed run, whose re-logged steps TensorBoard must replace, not duplicate.
#include "crossover/io/tensorboard.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crossover/io/metrics.h"
#include "io/tensorboard_check.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

TEST(TensorBoard, Crc32cMatchesTheStandardCheckValue) {
  // CRC-32C of "123456789" is 0xE3069283 (RFC 3720, B.4; the "check" value of the catalogue).
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  uint32_t c = 0xE3069283u;
  EXPECT_EQ(masked_crc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

MetricRow tb_row(const char* kind, int64_t step, double value) {
  MetricRow r;
  r["kind"] = kind;
  r["step"] = step;
  r["tokens"] = step * 4096;
  if (std::string(kind) == "train") {
    r["loss"] = value;
    r["lr"] = 1e-3 / static_cast<double>(step);
    r["note"] = "strings are not scalars";
  } else {
    r["val_loss"] = value;
    r["val_loss_se"] = value / 100.0;
    r["task/demo/acc"] = 0.25;
  }
  return r;
}

TEST(TensorBoard, ReaderReturnsEveryMetricIncludingAResume) {
  TempDir dir;
  const std::string run = dir.path().string();
  {
    MetricsWriter w(run, metrics_csv_columns({"demo"}), -1, /*tensorboard=*/true);
    for (int s = 1; s <= 6; ++s) w.write(tb_row("train", s, 3.0 / s));
    w.write(tb_row("val", 4, 0.7));
  }
  {
    MetricsWriter w(run, metrics_csv_columns({"demo"}), 4, /*tensorboard=*/true);  // resumed at 4
    w.write(tb_row("train", 5, 0.123456789));  // differs from the first run's step 5
    w.write(tb_row("train", 6, 0.1));
  }
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(run))
    files += e.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  EXPECT_EQ(files, 2);
  auto c = crossover::testing::check_tensorboard_matches_metrics(run);
  if (c.reader_missing) GTEST_SKIP() << "the venv has no tensorboard package: " << c.error;
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.scalars, 6u * 3 + 4u);  // train: tokens, loss, lr; val: tokens, val_loss, se, acc
}

TEST(TensorBoard, OffByDefaultInMetricsWriter) {
  TempDir dir;
  { MetricsWriter w(dir.path().string(), metrics_csv_columns({}), -1); }
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find("tfevents"), std::string::npos);
}

}  // namespace
}  // namespace crossover
