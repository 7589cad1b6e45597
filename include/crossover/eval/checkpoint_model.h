// checkpoint_model.h — a trained model ready for `crossover eval` and
// `crossover sample`: the run's config (from the checkpoint's state.json, or
// a config file), its weights, its tokenizer and its paradigm (AR, MDM, BD3).
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>

#include "crossover/config/config.h"
#include "crossover/data/dataset.h"
#include "crossover/data/tokenizer.h"
#include "crossover/model/transformer.h"
#include "crossover/objective/objective.h"

namespace crossover {

struct CheckpointModelOptions {
  std::string config_path;  // "" = the config_yaml stored in the checkpoint
  std::string data_path;    // "" = the config's data.path (for the tokenizer and validation)
  std::string device = "";  // "" = the config's runtime.device
};

struct CheckpointModel {
  std::string checkpoint;   // the checkpoint directory loaded
  Config cfg;
  Transformer model{nullptr};
  std::shared_ptr<const Tokenizer> tokenizer;
  std::unique_ptr<PreparedDataset> data;  // null when the dataset is absent
  torch::Device device = torch::kCPU;
  std::unique_ptr<Objective> objective;  // the run's objective (training settings included)
  Paradigm paradigm;        // objective->paradigm(): which sampler and estimators apply
  bool bf16 = false;
  int64_t step = 0;
};

// path: a checkpoint directory (has state.json) or a run directory (its
// newest valid checkpoint). Without the dataset the tokenizer falls back to
// the byte tokenizer when the model's vocabulary is the byte tokenizer's,
// else throws with a hint to pass the dataset.
CheckpointModel load_checkpoint_model(const std::string& path, const CheckpointModelOptions& opts);

}  // namespace crossover
