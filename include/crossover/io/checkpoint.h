// checkpoint.h — full training state on disk, written atomically and checked
// on load.
//
// <run>/checkpoints/step_00000120/
//   model.safetensors   every parameter, by its module path (readable from Python)
//   optim.safetensors   AdamW moments "exp_avg/<name>", "exp_avg_sq/<name>"
//   state.json          step, tokens, data cursor, counters, resolved config,
//                       versions, and size + checksum of both tensor files
// RNG streams are not stored: every stream is derived from (seed, purpose,
// step, rank) (util/rng.h), and the LR schedule is a pure function of step.
// A directory is written as ".tmp_step_N", fsynced, then renamed: a crash
// leaves either the previous checkpoint set or the new one, never half of one.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crossover {

struct CheckpointState {
  int64_t step = 0;           // optimizer steps completed
  int64_t tokens_seen = 0;
  int64_t nan_skips = 0;
  nlohmann::json data_cursor; // the loader's cursor
  std::string config_yaml;    // the resolved config of the run that wrote it
  std::string config_hash;
  nlohmann::json extra;       // anything else worth keeping (best val loss, ...)
};

struct Checkpoint {
  std::string path;
  CheckpointState state;
  std::map<std::string, torch::Tensor> model;
  std::map<std::string, torch::Tensor> optim;
};

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Writes <checkpoints_dir>/<name>/ atomically; returns its path.
std::string save_checkpoint(const std::string& checkpoints_dir, const std::string& name,
                            const NamedTensors& model, const NamedTensors& optim,
                            const CheckpointState& state);

// Loads and verifies (sizes, checksums, JSON fields and their types, `extra`
// included; a step_N directory must hold step N); throws crossover::Error
// naming the checkpoint and what is wrong. max_step >= 0: a step beyond it
// (the run's total steps) is corrupt too.
Checkpoint load_checkpoint(const std::string& path, int64_t max_step = -1);

// "step_*" checkpoint directories under checkpoints_dir, oldest first.
std::vector<std::string> list_checkpoints(const std::string& checkpoints_dir);

// The newest checkpoint that verifies (load_checkpoint with max_step); each
// corrupt one is reported ("skipping checkpoint ...: why; falling back to step
// N") and skipped. nullopt when there is none; throws Error (naming each) when
// there are checkpoints but every one is corrupt — never a silent fresh start.
std::optional<Checkpoint> load_latest_valid_checkpoint(const std::string& checkpoints_dir,
                                                       int64_t max_step = -1);

// Removes all but the newest `keep` step_* checkpoints.
void prune_checkpoints(const std::string& checkpoints_dir, int64_t keep);

// Copies named tensors into a module's parameters and buffers (shape-checked).
void load_into_module(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& t,
                      const std::string& origin);
NamedTensors module_tensors(const torch::nn::Module& module);

// FNV-1a 64 of a file's bytes (16 hex digits; util/checksum.h).
std::string file_checksum(const std::string& path);

}  // namespace crossover
