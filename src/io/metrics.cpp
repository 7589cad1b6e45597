// metrics.cpp — writing metrics.jsonl and metrics.csv rows, and reading them back on resume (metrics.h).
#include "crossover/io/metrics.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "crossover/io/run_layout.h"
#include "crossover/util/check.h"
#include "crossover/util/file_io.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

std::string csv_cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    std::ostringstream o;
    o.precision(10);
    o << v.get<double>();
    return o.str();
  }
  return v.dump();
}

// Rewrites `path` keeping only the lines `keep` accepts (checked atomic write:
// a failed rewrite leaves the old file as it was).
template <class Keep>
void filter_lines(const std::string& path, Keep keep) {
  if (!fs::exists(path)) return;
  std::istringstream in(read_file_text(path));
  std::string line, kept;
  bool first = true;
  while (std::getline(in, line)) {
    if (keep(line, first)) kept += line + "\n";
    first = false;
  }
  write_file_atomic(path, kept);
}

}  // namespace

std::vector<std::string> metrics_csv_columns(const std::vector<std::string>& task_names,
                                             const std::vector<std::string>& codegen_names) {
  std::vector<std::string> cols = {"kind",     "step",      "tokens",       "epoch",
                                   "unique_tokens", "loss", "lr",           "grad_norm",
                                   "tokens_per_s",  "mfu",  "peak_mem_mb",  "elapsed_s",
                                   "val_loss",      "val_loss_se",          "val_bpb"};
  for (const auto& t : task_names)
    for (const char* m : {"acc", "acc_norm", "acc_se", "nll_correct", "nll_wrong", "delta_nll",
                          "margin", "mc_ambiguous"})
      cols.push_back("task/" + t + "/" + m);
  for (const auto& t : codegen_names)
    for (const char* m : {"nll", "nll_se", "pass@1"}) cols.push_back("codegen/" + t + "/" + m);
  return cols;
}

MetricsWriter::MetricsWriter(const std::string& run_dir, std::vector<std::string> csv_columns,
                             int64_t keep_through_step, bool tensorboard)
    : columns_(std::move(csv_columns)), run_dir_(run_dir) {
  const std::string jpath = run_metrics_jsonl_path(run_dir), cpath = run_metrics_csv_path(run_dir);
  if (keep_through_step >= 0) {
    filter_lines(jpath, [&](const std::string& line, bool) {
      auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      return !j.is_discarded() && j.value("step", int64_t{0}) <= keep_through_step;
    });
    // CSV: the step is the second column.
    filter_lines(cpath, [&](const std::string& line, bool first) {
      if (first) return true;
      auto cells = str_split(line, ',');
      if (cells.size() < 2) return false;
      try {
        return std::stoll(cells[1]) <= keep_through_step;
      } catch (...) {
        return false;
      }
    });
  }
  auto mode = keep_through_step >= 0 ? std::ios::app : std::ios::trunc;
  bool need_header = keep_through_step < 0 || !fs::exists(cpath) || fs::file_size(cpath) == 0;
  jsonl_.open(jpath, std::ios::out | mode);
  csv_.open(cpath, std::ios::out | mode);
  CROSSOVER_CHECK(jsonl_ && csv_, "cannot open metrics files in '", run_dir, "'");
  if (need_header) csv_ << str_join(columns_, ",") << "\n" << std::flush;
  if (!csv_.good())
    throw Error(str_cat("cannot write '", cpath, "'; hint: is the disk full?"));
  if (tensorboard) {
    tensorboard_ = std::make_unique<TensorBoardWriter>(run_dir);
    // TensorBoard drops what the earlier file logged past the checkpoint.
    if (keep_through_step >= 0) tensorboard_->add_restart(keep_through_step + 1, unix_time_s());
  }
}

void MetricsWriter::write(const MetricRow& row) {
  jsonl_ << row.dump() << "\n" << std::flush;
  std::vector<std::string> cells;
  for (const auto& c : columns_) cells.push_back(row.contains(c) ? csv_cell(row[c]) : "");
  csv_ << str_join(cells, ",") << "\n" << std::flush;
  // A full disk must stop the run at the first lost row, not at the end.
  if (!jsonl_.good() || !csv_.good())
    throw Error(str_cat("cannot write metrics in '", run_dir_, "' (",
                        !jsonl_.good() ? "metrics.jsonl" : "metrics.csv",
                        "); hint: is the disk full? the last checkpoint is kept"));
  if (!tensorboard_) return;
  const std::string kind = row.value("kind", "");
  const int64_t step = row.value("step", int64_t{0});
  const double t = unix_time_s();
  for (auto it = row.begin(); it != row.end(); ++it) {
    // Non-finite values are null in metrics.jsonl; TensorBoard gets no point either.
    if (it.key() == "step" || !it->is_number() || !std::isfinite(it->get<double>())) continue;
    tensorboard_->add_scalar(kind.empty() ? it.key() : kind + "/" + it.key(), it->get<double>(),
                             step, t);
  }
}

std::vector<nlohmann::json> read_metrics(const std::string& path, const std::string& kind) {
  std::ifstream in(path);
  CROSSOVER_CHECK(in, "cannot read metrics file '", path, "'");
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (str_trim(line).empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    if (kind.empty() || j.value("kind", "") == kind) rows.push_back(std::move(j));
  }
  return rows;
}

}  // namespace crossover
