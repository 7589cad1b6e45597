// run_layout.cpp — run-directory file names and the finished marker.
#include "crossover/io/run_layout.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace crossover {
namespace fs = std::filesystem;

std::string run_config_path(const std::string& run_dir) { return run_dir + "/config.yaml"; }
std::string run_log_path(const std::string& run_dir) { return run_dir + "/log.txt"; }
std::string run_metrics_jsonl_path(const std::string& run_dir) { return run_dir + "/metrics.jsonl"; }
std::string run_metrics_csv_path(const std::string& run_dir) { return run_dir + "/metrics.csv"; }
std::string run_summary_path(const std::string& run_dir) { return run_dir + "/summary.json"; }
std::string run_checkpoints_dir(const std::string& run_dir) { return run_dir + "/checkpoints"; }

std::string step_checkpoint_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step_%08lld", static_cast<long long>(step));
  return name;
}

std::string epoch_checkpoint_name(int64_t epoch) {
  char name[32];
  std::snprintf(name, sizeof(name), "epoch_%04lld", static_cast<long long>(epoch));
  return name;
}

bool run_is_finished(const std::string& run_dir) {
  std::ifstream in(run_summary_path(run_dir));
  if (!in) return false;
  auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.value("status", "") == "finished";
}

bool is_run_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(run_config_path(dir), ec)) return false;
  return fs::exists(run_metrics_jsonl_path(dir), ec) || fs::exists(run_log_path(dir), ec) ||
         fs::exists(run_summary_path(dir), ec) || fs::is_directory(run_checkpoints_dir(dir), ec);
}

bool is_checkpoint_dir(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir + "/state.json", ec);
}

std::string enclosing_run_dir(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) p = fs::absolute(path).lexically_normal();
  while (true) {
    if (is_run_dir(p.string()) || is_checkpoint_dir(p.string())) return p.string();
    if (p == p.root_path() || p.parent_path() == p || p.empty()) return "";
    p = p.parent_path();
  }
}

std::optional<Checkpoint> load_latest_run_checkpoint(const std::string& run_dir, int64_t max_step) {
  return load_latest_valid_checkpoint(run_checkpoints_dir(run_dir), max_step);
}

}  // namespace crossover
