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
#include "crossover/io/run_lock.h"
#include "crossover/report/curve.h"

namespace crossover {

enum class RunStatus {
  kNew,       // no run directory, or nothing the trainer writes in it yet
  kPartial,   // config.yaml, metrics.jsonl or checkpoints/ exist, no finished summary
  kFinished,  // summary.json with "status": "finished"
  kRunning,   // its lock file is held by a live process (crossover train)
};
const char* run_status_name(RunStatus s);  // new | partial | finished | running

// kRunning: `crossover train` holds the run's lock (io/run_lock.h).
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
