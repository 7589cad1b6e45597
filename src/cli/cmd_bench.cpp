// `crossover bench CONFIG [--part step|model]`: throughput after warm-up on
// random tokens of the config's shape. `step` (default) times the whole
// train_step() that `crossover train` runs (model, objective, AdamW,
// clipping); `model` times forward + backward of the model and the
// objective's loss with the dense output head and no optimizer, the work
// scripts/bench/model_ref_bench.py does in PyTorch eager. Both parts take the
// vocabulary and [MASK] the same way and report the mean and the fastest step.
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/loader.h"
#include "crossover/data/dataset.h"
#include "crossover/data/tokenizer.h"
#include "crossover/distributed/process_setup.h"
#include "crossover/train/train_step.h"
#include "crossover/util/autocast.h"
#include "crossover/util/check.h"
#include "crossover/util/device_info.h"
#include "crossover/util/rng.h"
#include "crossover/util/strings.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace {

// Vocabulary and [MASK]: the dataset's tokenizer when the config names one,
// else model.vocab_size with its last id as [MASK] when set, else the byte
// tokenizer's. Random tokens are drawn below mask_id.
void bench_vocabulary(const Config& cfg, int64_t* vocab, int64_t* mask_id) {
  *vocab = cfg.model.vocab_size;
  if (!cfg.data.path.empty()) {
    auto meta = PreparedDataset::open(cfg.data.path, cfg.data.val_path, /*verify=*/false).meta;
    if (*vocab == 0) *vocab = meta.vocab_size;
    *mask_id = meta.mask_id;
  } else if (*vocab == 0) {
    auto byte = make_byte_tokenizer();
    *vocab = byte->vocab_size();
    *mask_id = byte->mask_id();
  } else {
    *mask_id = *vocab - 1;
  }
}

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}

// Forward + backward of the model and the objective's loss over the whole
// batch (dense head), no optimizer step; returns the loss.
double model_step(TrainState& st, const torch::Tensor& tokens, int64_t i) {
  const int64_t B = tokens.size(0), T = tokens.size(1) - 1;
  auto gen = make_generator(static_cast<uint64_t>(st.cfg.run.seed), "mask", i, 0, 0, st.device);
  auto batch = st.objective->prepare(tokens, T, gen);
  st.model->zero_grad();
  torch::Tensor loss;
  {
    AutocastScope autocast(st.bf16);  // as train_step: bf16 on CUDA unless runtime.precision=fp32
    auto out = st.model(batch.inputs, batch.causal);
    loss = objective_loss_sum(out.logits, batch) / static_cast<double>(B * T) + out.aux_loss.to(torch::kFloat32);
  }
  loss.backward();
  return loss.item<double>();
}

}  // namespace

int cmd_bench(const std::vector<std::string>& argv) {
  CommandLine cli("bench",
                  "Measure throughput on random tokens of the config's shape: the whole train step\n"
                  "(--part step: model, objective, AdamW, clipping; tokens/s and MFU) or forward+backward\n"
                  "of the model alone (--part model). scripts/bench_train.sh and scripts/bench_model.sh\n"
                  "compare them with PyTorch eager.");
  ConfigArgs config_args;
  add_config_args(cli, config_args, /*config_required=*/true);
  std::string part = "step";
  int64_t steps = 10, warmup = 3, batch = 0;
  bool json = false;
  cli.add_option("--part", part, "step (the whole train step) | model (forward+backward only)")
      ->check(one_of({"step", "model"}));
  cli.add_option("--batch", batch, "sequences per step (default train.batch_size)")
      ->check(CLI::PositiveNumber);
  cli.add_option("--steps", steps, "timed steps")->check(CLI::PositiveNumber);
  cli.add_option("--warmup", warmup, "untimed warm-up steps")->check(CLI::NonNegativeNumber);
  cli.add_flag("--json", json, "print one JSON object instead of a table row");
  if (!cli.parse_args(argv)) return 0;
  Config cfg = load_command_config(config_args);
  if (batch > 0) cfg.train.batch_size = batch;
  torch::Device device = setup_process(cfg.runtime, read_dist_env());
  int64_t vocab = 0, mask_id = -1;
  bench_vocabulary(cfg, &vocab, &mask_id);
  const double baseline_mb = device.is_cuda() ? 0.0 : current_rss_mb();  // before the model exists
  TrainState st = make_train_state(cfg, vocab, mask_id, device, nullptr);
  const int64_t B = cfg.train.batch_size, T = cfg.data.seq_len;
  auto gen = make_generator(cfg.run.seed, "bench");
  auto tokens = torch::randint(0, mask_id, {B, T + 1}, gen, torch::kLong).to(device);  // (B, T+1)

  double seconds = 0, best = 1e300, loss = 0;
  for (int64_t i = 0; i < warmup + steps; ++i) {
    sync(device);
    Stopwatch timer;
    loss = part == "step" ? train_step(st, tokens, i, warmup + steps).loss.item<double>()
                          : model_step(st, tokens, i);
    sync(device);
    const double dt = timer.seconds();
    if (i >= warmup) {
      seconds += dt;
      best = std::min(best, dt);
    }
  }
  const double tps = static_cast<double>(B * T * steps) / seconds;
  // The fastest step is the one least disturbed by other processes on a shared machine.
  const double tps_best = static_cast<double>(B * T) / best;
  const double flops = st.model->flops_per_token(T) * tps;
  const double mfu = flops / peak_flops(device, st.bf16, cfg.train.peak_flops);
  nlohmann::ordered_json j;
  j["part"] = part;
  j["objective"] = choice_name(cfg.objective.kind);
  j["options"] = transformer_options_json(st.model->options);
  j["mask_id"] = mask_id;
  j["micro_batch"] = cfg.train.micro_batch_size > 0 ? std::min(cfg.train.micro_batch_size, B) : B;
  j["warmup"] = warmup;
  j["steps"] = steps;
  j["train"] = {{"lr", cfg.train.lr}, {"weight_decay", cfg.train.weight_decay},
                {"beta1", cfg.train.beta1}, {"beta2", cfg.train.beta2},
                {"adam_eps", cfg.train.adam_eps}, {"grad_clip", cfg.train.grad_clip}};
  j["params"] = st.model->param_count();
  j["active_params"] = st.model->active_param_count();
  j["batch"] = B;
  j["seq_len"] = T;
  j["threads"] = torch::get_num_threads();
  j["device"] = device.str();
  j["step_ms"] = 1000.0 * seconds / static_cast<double>(steps);
  j["step_ms_best"] = 1000.0 * best;
  j["tokens_per_s"] = tps;
  j["tokens_per_s_best"] = tps_best;
  j["gflops"] = flops / 1e9;
  j["mfu"] = mfu;
  j["peak_mem_mb"] = peak_memory_mb(device);
  j["baseline_mem_mb"] = baseline_mb;  // CPU: RSS before the model; peak - baseline = training memory
  j["last_loss"] = loss;
  if (json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << part << " | objective " << cfg.objective.kind << " | params "
              << human_count(st.model->param_count()) << " | B " << B << " T " << T << " | "
              << device.str() << " x" << torch::get_num_threads() << " threads | "
              << j["step_ms"].get<double>() << " ms/step (best " << j["step_ms_best"].get<double>()
              << ") | " << static_cast<int64_t>(tps) << " tok/s (best " << static_cast<int64_t>(tps_best)
              << ") | MFU " << 100 * mfu << "%\n";
  }
  return 0;
}

}  // namespace crossover
