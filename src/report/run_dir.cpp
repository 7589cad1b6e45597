// Reading run directories: status, config, validation curves.
#include "crossover/report/run_dir.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crossover/config/loader.h"
#include "crossover/io/run_layout.h"
#include "crossover/util/check.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

class SettingsCollector : public ConfigVisitor {
 public:
  std::vector<std::pair<std::string, std::string>> out;
  void field(const std::string& k, int64_t& v, const FieldSpec&) override {
    out.emplace_back(k, std::to_string(v));
  }
  void field(const std::string& k, double& v, const FieldSpec&) override {
    std::ostringstream s;
    s.precision(10);
    s << v;
    out.emplace_back(k, s.str());
  }
  void field(const std::string& k, bool& v, const FieldSpec&) override {
    out.emplace_back(k, v ? "true" : "false");
  }
  void field(const std::string& k, std::string& v, const FieldSpec&) override {
    out.emplace_back(k, v);
  }
  void field(const std::string& k, std::vector<std::string>& v, const FieldSpec&) override {
    out.emplace_back(k, "[" + str_join(v, ", ") + "]");
  }
};

}  // namespace

const char* run_status_name(RunStatus s) {
  switch (s) {
    case RunStatus::kNew: return "new";
    case RunStatus::kPartial: return "partial";
    case RunStatus::kFinished: return "finished";
    case RunStatus::kRunning: return "running";
  }
  return "?";
}

RunStatus run_status(const std::string& run_dir) {
  if (run_is_finished(run_dir)) return RunStatus::kFinished;
  if (run_lock_held(run_dir)) return RunStatus::kRunning;
  for (const auto& f : {run_config_path(run_dir), run_metrics_jsonl_path(run_dir),
                        run_checkpoints_dir(run_dir)})
    if (fs::exists(f)) return RunStatus::kPartial;
  return RunStatus::kNew;
}

std::vector<std::pair<std::string, std::string>> config_settings(const Config& c) {
  SettingsCollector v;
  Config copy = c;
  visit_config(copy, v);
  return v.out;
}

RunData load_run(const std::string& run_dir) {
  RunData r;
  r.dir = run_dir;
  const std::string metrics = run_metrics_jsonl_path(run_dir);
  r.config = load_config(run_config_path(run_dir));
  for (const auto& kv : config_settings(r.config)) r.settings[kv.first] = kv.second;
  r.status = run_status(run_dir);
  std::ifstream in(metrics);
  std::string line;
  int lineno = 0;
  std::map<std::string, Curve> raw;
  while (std::getline(in, line)) {
    ++lineno;
    if (str_trim(line).empty()) continue;
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      // The last line of an interrupted run may be cut short: skip it, fail elsewhere.
      if (in.peek() == EOF) break;
      throw Error(str_cat(metrics, ":", lineno, ": malformed JSON row; hint: ",
                          "metrics.jsonl is one JSON object per line (docs/formats.md)"));
    }
    if (!row.is_object() || row.value("kind", "") != "val") continue;
    CROSSOVER_CHECK(row.contains("tokens") && row["tokens"].is_number(),
                    metrics, ":", lineno, ": val row without numeric 'tokens'",
                    "; hint: every row carries kind, step, tokens, epoch (docs/formats.md)");
    double tokens = row["tokens"].get<double>();
    for (auto it = row.begin(); it != row.end(); ++it) {
      if (!it.value().is_number() || it.key() == "tokens" || it.key() == "step") continue;
      raw[it.key()].x.push_back(tokens);
      raw[it.key()].y.push_back(it.value().get<double>());
    }
  }
  for (auto& kv : raw) r.curves[kv.first] = curve_sorted(kv.second);
  return r;
}

std::vector<std::string> find_run_dirs(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    if (!fs::is_directory(p))
      throw UsageError(str_cat("'", p, "' is not a directory; hint: pass run directories or a ",
                               "sweep directory such as runs/fig1_data_budget"));
    if (fs::exists(run_config_path(p))) {
      out.push_back(p);
      continue;
    }
    size_t before = out.size();
    for (auto it = fs::recursive_directory_iterator(p); it != fs::recursive_directory_iterator();
         ++it) {
      if (!it->is_directory()) continue;
      if (fs::exists(run_config_path(it->path().string()))) {
        out.push_back(it->path().string());
        it.disable_recursion_pending();  // checkpoints are not runs
      }
    }
    if (out.size() == before)
      throw UsageError(str_cat("no run directories (with config.yaml) under '", p, "'"));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace crossover
