// sweep.h — a sweep file: one base config, fixed overrides and a grid of
// config keys, expanded into named runs, each checked by the strict loader.
//
//   name: fig1_data_budget            # runs go to <out>/<name>/<run name>/
//   base: ../../mini/model_s.yaml     # relative to the sweep file
//   set:                              # fixed overrides for every run (dotted or nested keys)
//     train.total_tokens: 6000000
//   grid:                             # cartesian product; the first key varies slowest
//     objective.kind: [ar, mdm]
//     data.unique_tokens: [50000, 100000, 300000]
//     model.dropout_attn,model.dropout_resid: [0.0, 0.1]   # tied keys: one value for both
//     base: [../../mini/model_s.yaml, ../../mini/model_m.yaml]  # the base config itself
//   include:                          # extra runs: `set` plus these overrides (no grid)
//     - {objective.kind: mdm}
//   exclude:                          # drop grid points matching every pair of an entry
//     - {objective.kind: mdm, data.unique_tokens: 300000}
//
// Run names are built from the keys that vary (grid keys with more than one
// value, then an include entry's keys), in the order written:
// `kind-mdm_unique-100k_seed-1`. They are deterministic and must be unique.
// This header does not run anything; `crossover sweep plan` and
// scripts/sweep.sh do.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace crossover {

struct SweepRun {
  std::string name;  // e.g. kind-mdm_unique-100k
  std::string base;  // base config of this run (the sweep's, or a `base` grid/include value)
  // Every override, in order: the sweep's `set`, the run's own keys, then
  // run.dir and run.name. Values are YAML text (as `--set key=value` takes them).
  std::vector<std::pair<std::string, std::string>> overrides;
  // Only the keys that distinguish this run (grid keys that vary, include keys).
  std::vector<std::pair<std::string, std::string>> varying;

  std::vector<std::string> set_args() const;  // "key=value" for --set
};

struct Sweep {
  std::string file;         // the sweep file as given
  std::string name;
  std::string base;         // default base config (relative to the working directory); may be
                            // empty when every run takes its base from a `base` grid axis
  std::string runs_dir;     // <out>/<name>: run.dir of every run
  std::vector<SweepRun> runs;
};

// Reads, expands and validates a sweep. `out` is the parent of the sweep's
// folder (default "runs"); `extra_sets` are `key=value` overrides applied to
// every run after the sweep's own (e.g. runtime.threads=1). Throws UsageError
// naming the sweep file (and line, key or run) on any problem.
Sweep load_sweep(const std::string& path, const std::string& out = "runs",
                 const std::vector<std::string>& extra_sets = {});

// Short, file-name-safe labels ([A-Za-z0-9._+-]) used in run names and report labels:
//   sweep_key_label("data.unique_tokens") == "unique"
//   sweep_value_label("100000") == "100k", sweep_value_label("0.10") == "0.1"
std::string sweep_key_label(const std::string& key);
std::string sweep_value_label(const std::string& value);
// "kind-mdm_unique-100k"; "base" for an empty list.
std::string sweep_run_name(const std::vector<std::pair<std::string, std::string>>& varying);

}  // namespace crossover
