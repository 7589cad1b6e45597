// `crossover bench CONFIG`: train-step throughput and MFU after warm-up, on
// random tokens of the config's shape, through the same train_step() that
// `crossover train` runs (model, objective, AdamW, clipping).
#include <iostream>

#include <nlohmann/json.hpp>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/loader.h"
#include "crossover/data/dataset.h"
#include "crossover/data/tokenizer.h"
#include "crossover/train/train_step.h"
#include "crossover/util/device_info.h"
#include "crossover/util/rng.h"
#include "crossover/util/strings.h"
#include "crossover/util/runtime.h"
#include "crossover/util/stopwatch.h"

namespace crossover {

int cmd_bench(const std::vector<std::string>& argv) {
  CommandLine cli("bench",
                  "Measure train-step tokens/s and MFU (random tokens, the config's model, objective,\n"
                  "batch and optimizer). scripts/bench_train.sh compares it with PyTorch eager.");
  ConfigArgs config_args;
  add_config_args(cli, config_args, /*config_required=*/true);
  int64_t steps = 10, warmup = 3;
  bool json = false;
  cli.add_option("--steps", steps, "timed steps");
  cli.add_option("--warmup", warmup, "untimed warm-up steps");
  cli.add_flag("--json", json, "print one JSON object instead of a table row");
  if (!cli.parse_args(argv)) return 0;
  Config cfg = load_command_config(config_args);
  torch::Device device = runtime_setup(cfg.runtime);
  // Vocabulary and [MASK]: the dataset's tokenizer when the config names one, else the byte
  // tokenizer's; an explicit model.vocab_size without a dataset (random tokens of a larger
  // model) reserves its last id as [MASK] and draws the tokens below it.
  int64_t vocab = cfg.model.vocab_size, mask_id = -1;
  if (!cfg.data.path.empty()) {
    auto meta = PreparedDataset::open(cfg.data.path, cfg.data.val_path, /*verify=*/false).meta;
    if (vocab == 0) vocab = meta.vocab_size;
    mask_id = meta.mask_id;
  } else if (vocab == 0) {
    auto byte = make_byte_tokenizer();
    vocab = byte->vocab_size();
    mask_id = byte->mask_id();
  } else {
    mask_id = vocab - 1;
  }
  const double baseline_mb = device.is_cuda() ? 0.0 : current_rss_mb();  // before the model exists
  TrainState st = make_train_state(cfg, vocab, mask_id, device, nullptr);
  const int64_t B = cfg.train.batch_size, T = cfg.data.seq_len;
  auto gen = make_generator(cfg.run.seed, "bench");
  auto tokens = torch::randint(0, mask_id, {B, T + 1}, gen, torch::kLong);  // (B, T+1)
  for (int64_t s = 0; s < warmup; ++s) train_step(st, tokens, s, warmup + steps);
  if (device.is_cuda()) torch::cuda::synchronize();
  Stopwatch timer;
  double loss = 0;
  for (int64_t s = 0; s < steps; ++s) loss = train_step(st, tokens, warmup + s, warmup + steps).loss;
  if (device.is_cuda()) torch::cuda::synchronize();
  double dt = timer.seconds();
  double tps = static_cast<double>(B * T * steps) / dt;
  double mfu = st.model->flops_per_token(T) * tps / peak_flops(device, st.bf16, cfg.train.peak_flops);
  nlohmann::ordered_json j;
  j["objective"] = cfg.objective.kind;
  j["options"] = transformer_options_json(st.model->options);
  j["mask_id"] = mask_id;
  j["micro_batch"] = cfg.train.micro_batch_size > 0 ? cfg.train.micro_batch_size : B;
  j["warmup"] = warmup;
  j["steps"] = steps;
  j["train"] = {{"lr", cfg.train.lr}, {"weight_decay", cfg.train.weight_decay},
                {"beta1", cfg.train.beta1}, {"beta2", cfg.train.beta2},
                {"adam_eps", cfg.train.adam_eps}, {"grad_clip", cfg.train.grad_clip}};
  j["params"] = st.model->param_count();
  j["batch"] = B;
  j["seq_len"] = T;
  j["threads"] = torch::get_num_threads();
  j["device"] = device.str();
  j["step_ms"] = 1000.0 * dt / static_cast<double>(steps);
  j["tokens_per_s"] = tps;
  j["mfu"] = mfu;
  j["peak_mem_mb"] = peak_memory_mb(device);
  j["baseline_mem_mb"] = baseline_mb;  // CPU: RSS before the model; peak - baseline = training memory
  j["last_loss"] = loss;
  if (json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "objective " << cfg.objective.kind << " | params " << human_count(st.model->param_count())
              << " | B " << B << " T " << T << " | " << device.str() << " x" << torch::get_num_threads()
              << " threads | " << j["step_ms"].get<double>() << " ms/step | "
              << static_cast<int64_t>(tps) << " tok/s | MFU " << 100 * mfu << "%\n";
  }
  return 0;
}

}  // namespace crossover
