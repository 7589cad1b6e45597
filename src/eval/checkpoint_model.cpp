// checkpoint_model.cpp — config + weights + tokenizer of a finished run.
#include "crossover/eval/checkpoint_model.h"

#include <torch/torch.h>

#include <filesystem>

#include "crossover/config/loader.h"
#include "crossover/distributed/process_setup.h"
#include "crossover/io/checkpoint.h"
#include "crossover/io/run_layout.h"
#include "crossover/util/check.h"
#include "crossover/util/log.h"

namespace crossover {
namespace fs = std::filesystem;

CheckpointModel load_checkpoint_model(const std::string& path, const CheckpointModelOptions& opts) {
  CROSSOVER_CHECK(fs::exists(path), "checkpoint or run directory '", path, "' does not exist");
  Checkpoint ck;
  if (fs::exists(fs::path(path) / "state.json")) {
    ck = load_checkpoint(path);
  } else {
    auto latest = load_latest_run_checkpoint(path);
    CROSSOVER_CHECK(latest.has_value(), "'", path, "' is neither a checkpoint (no state.json) nor ",
                    "a run directory with a valid checkpoint under checkpoints/");
    ck = std::move(*latest);
  }
  CheckpointModel m;
  m.checkpoint = ck.path;
  m.step = ck.state.step;
  std::vector<std::string> sets;
  if (!opts.data_path.empty()) sets.push_back("data.path=" + opts.data_path);
  if (!opts.device.empty()) sets.push_back("runtime.device=" + opts.device);
  if (!opts.config_path.empty()) {
    m.cfg = load_config(opts.config_path, sets);
  } else {
    CROSSOVER_CHECK(!ck.state.config_yaml.empty(), "checkpoint '", ck.path,
                    "' carries no config; hint: pass --config <run>/config.yaml");
    m.cfg = load_config_from_string(ck.state.config_yaml, ck.path + "/state.json", sets);
  }
  m.device = setup_process(m.cfg.runtime, read_dist_env());
  m.bf16 = m.device.is_cuda() && m.cfg.runtime.precision != Precision::kFp32;

  auto emb = ck.model.find("tok_emb.weight");
  CROSSOVER_CHECK(emb != ck.model.end(), "checkpoint '", ck.path, "' has no tok_emb.weight");
  const int64_t vocab = emb->second.size(0);
  if (fs::exists(m.cfg.data.path)) {
    m.data = std::make_unique<PreparedDataset>(
        PreparedDataset::open(m.cfg.data.path, m.cfg.data.val_path, /*verify=*/false));
    m.tokenizer = load_tokenizer(m.data->meta);
  } else {
    m.tokenizer = make_byte_tokenizer();
    CROSSOVER_CHECK(vocab == m.tokenizer->vocab_size(), "dataset '", m.cfg.data.path, "' (data.path "
                    "of the run) is not here and the model's vocabulary (", vocab, ") is not the byte "
                    "tokenizer's (", m.tokenizer->vocab_size(), "); hint: pass --data DIR of the "
                    "prepared dataset");
    log_warn(str_cat("dataset '", m.cfg.data.path, "' not found: using the byte tokenizer"));
  }
  m.objective = make_objective(m.cfg.objective, m.tokenizer->mask_id());
  m.paradigm = m.objective->paradigm();
  m.model = Transformer(transformer_options_from_config(m.cfg.model, vocab));
  load_into_module(*m.model, ck.model, ck.path);
  m.model->to(m.device);
  m.model->eval();
  return m;
}

}  // namespace crossover
