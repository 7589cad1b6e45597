// run_layout.h — where everything lives in a run directory (docs/formats.md),
// named once for the trainer that writes it and for report, eval and sweep
// code that read it:
//
//   <run>/config.yaml      resolved config (first line: its hash)
//   <run>/log.txt          the log
//   <run>/metrics.jsonl    one JSON row per train / val event
//   <run>/metrics.csv      the same rows as a table
//   <run>/summary.json     written last: {"status": "finished", ...}
//   <run>/checkpoints/step_00000120/, epoch_0003/   (io/checkpoint.h)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crossover/io/checkpoint.h"

namespace crossover {

std::string run_config_path(const std::string& run_dir);
std::string run_log_path(const std::string& run_dir);
std::string run_metrics_jsonl_path(const std::string& run_dir);
std::string run_metrics_csv_path(const std::string& run_dir);
std::string run_summary_path(const std::string& run_dir);
std::string run_checkpoints_dir(const std::string& run_dir);

// The checkpoint directory names: step_%08d (rotated by ckpt_keep) and
// epoch_%04d (kept).
std::string step_checkpoint_name(int64_t step);
std::string epoch_checkpoint_name(int64_t epoch);

// True when summary.json says "status": "finished" (a summary being written
// or truncated is not a finished run).
bool run_is_finished(const std::string& run_dir);

// A run directory is recognised by its layout: config.yaml plus one of
// metrics.jsonl, log.txt, summary.json, checkpoints/. A checkpoint directory
// holds state.json.
bool is_run_dir(const std::string& dir);
bool is_checkpoint_dir(const std::string& dir);

// The nearest of `path` and its ancestors (after weakly_canonical, so '..' and
// symlinks are resolved) that is a run or checkpoint directory; "" when none.
// Commands that write elsewhere (export) refuse outputs inside one.
std::string enclosing_run_dir(const std::string& path);

// The newest checkpoint under <run>/checkpoints/ that verifies (corrupt ones
// are reported and skipped); nullopt when there is none.
std::optional<Checkpoint> load_latest_run_checkpoint(const std::string& run_dir,
                                                     int64_t max_step = -1);

}  // namespace crossover
