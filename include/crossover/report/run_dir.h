// run_dir.h — reading a finished or interrupted run directory (docs/formats.md):
// its status, its resolved config and its evaluation curves.
//
// This is the consumer side of the trainer's contract; it never writes into a
// run directory.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "crossover/config/config.h"
#include "crossover/report/curve.h"

namespace crossover {

enum class RunStatus {
  kNew,       // no run directory, or nothing the trainer writes in it yet
  kPartial,   // config.yaml, metrics.jsonl or checkpoints/ exist, no finished summary
  kFinished,  // summary.json with "status": "finished"
  kRunning,   // its lock file is held by a live process (scripts/sweep.sh)
};
const char* run_status_name(RunStatus s);  // new | partial | finished | running

// The lock file scripts/sweep.sh holds (flock) while a run trains:
// <parent>/.<name>.lock, beside the run directory so the run directory itself
// is only ever created by the trainer.
std::string run_lock_path(const std::string& run_dir);
RunStatus run_status(const std::string& run_dir);

struct RunData {
  std::string dir;
  Config config;
  std::map<std::string, std::string> settings;  // every config key -> its value as text
  std::map<std::string, Curve> curves;          // `kind: val` metric -> curve over tokens
  RunStatus status = RunStatus::kNew;
};

// Loads config.yaml (strictly) and the `kind: val` rows of metrics.jsonl.
// Throws Error naming the file and line of a malformed row.
RunData load_run(const std::string& run_dir);

// Run directories (those holding config.yaml) at or under each path, sorted;
// a path that is neither a run nor holds one is an error.
std::vector<std::string> find_run_dirs(const std::vector<std::string>& paths);

// Every config key with its value as text, in declaration order.
std::vector<std::pair<std::string, std::string>> config_settings(const Config& c);

}  // namespace crossover
