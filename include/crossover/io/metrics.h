// metrics.h — the run's metric log: metrics.jsonl (one JSON object per row,
// the format in docs/formats.md) and metrics.csv (same rows, fixed columns).
//
// Rows are appended and flushed one by one, so a crash loses at most the row
// being written. A resumed run first drops the rows logged after the
// checkpoint it resumes from (they will be logged again, identically).
// With tensorboard on, every numeric value of a row also goes to a TensorBoard
// event file in the run directory (io/tensorboard.h) as tag "<kind>/<key>"
// (train/loss, val/val_loss, val/task/<name>/acc) at the row's step.
#pragma once

#include <nlohmann/json.hpp>

#include "crossover/io/tensorboard.h"

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace crossover {

using MetricRow = nlohmann::ordered_json;

class MetricsWriter {
 public:
  // keep_through_step < 0: start fresh (truncate); else keep rows with step <= it.
  MetricsWriter(const std::string& run_dir, std::vector<std::string> csv_columns,
                int64_t keep_through_step, bool tensorboard = false);
  // Appends one row to both files (and the event file); throws Error when a write fails.
  void write(const MetricRow& row);

 private:
  std::ofstream jsonl_;
  std::ofstream csv_;
  std::vector<std::string> columns_;
  std::string run_dir_;
  std::unique_ptr<TensorBoardWriter> tensorboard_;  // null when off
};

// Every row of a metrics.jsonl; a torn last line (crash mid-write) is ignored.
// With `kind`, only rows of that kind ("train" or "val").
std::vector<nlohmann::json> read_metrics(const std::string& path, const std::string& kind = "");

// Standard CSV columns; task columns are appended per task name.
std::vector<std::string> metrics_csv_columns(const std::vector<std::string>& task_names,
                                             const std::vector<std::string>& codegen_names = {});

}  // namespace crossover
