// `crossover bench-model CONFIG [--set k=v ...] [--batch B] [--steps N] [--warmup W] [--json]`:
// times forward + backward of the C++ model under the config's objective on
// random tokens (no optimizer step, no data loading). A benchmark, not a test;
// scripts/bench_model.sh runs it next to the same model in PyTorch eager.
#include <torch/torch.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/loader.h"
#include "crossover/model/transformer.h"
#include "crossover/objective/objective.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"
#include "crossover/util/stopwatch.h"
#include "crossover/util/runtime.h"

namespace crossover {
namespace {


void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}

}  // namespace

int cmd_bench_model(const std::vector<std::string>& argv) {
  CommandLine cli("bench-model",
                  "Time forward+backward of the model under the config's objective on random tokens\n"
                  "(T = data.seq_len, threads = runtime.threads).");
  ConfigArgs config_args;
  add_config_args(cli, config_args, /*config_required=*/true);
  int64_t B = 8, steps = 5, warmup = 1, vocab = 4096;
  bool json = false;
  cli.add_option("--batch", B, "sequences per step");
  cli.add_option("--steps", steps, "timed steps");
  cli.add_option("--warmup", warmup, "untimed steps first");
  cli.add_option("--vocab", vocab, "vocabulary size when model.vocab_size is auto");
  cli.add_flag("--json", json, "print one JSON line (for scripts/bench_model.sh)");
  if (!cli.parse_args(argv)) return 0;
  if (B < 1 || steps < 1 || warmup < 0)
    throw UsageError("bench-model: --batch and --steps must be >= 1, --warmup >= 0");
  Config c = load_command_config(config_args);
  torch::Device device = runtime_setup(c.runtime);
  int64_t T = c.data.seq_len;
  auto opts = transformer_options_from_config(c.model, c.model.vocab_size ? c.model.vocab_size : vocab);
  int64_t V = opts.vocab_size();
  seed_global_generators(static_cast<uint64_t>(c.run.seed), "init");
  Transformer model(opts);
  model->to(device);
  model->train();
  auto obj = make_objective(c.objective, V - 1);
  auto tokens = torch::randint(0, V - 1, {B, T + 1}, torch::TensorOptions(torch::kInt64).device(device));

  double seconds = 0, best = 1e300;
  for (int64_t i = 0; i < warmup + steps; ++i) {
    sync(device);
    Stopwatch timer;
    auto gen = make_generator(static_cast<uint64_t>(c.run.seed), "mask", i);
    auto batch = obj->prepare(tokens, T, gen);
    auto out = model(batch.inputs, batch.causal);
    auto loss = objective_loss_sum(out.logits, batch) / static_cast<double>(B * T) + out.aux_loss;
    model->zero_grad();
    loss.backward();
    sync(device);
    double dt = timer.seconds();
    if (i >= warmup) {
      seconds += dt;
      best = std::min(best, dt);
    }
  }
  // The fastest step is the least disturbed by other processes on a shared machine.
  double tok_s = static_cast<double>(B * T) / best;
  double tok_s_mean = static_cast<double>(B * T * steps) / seconds;
  double flops = model->flops_per_token(T) * tok_s;
  if (json) {
    nlohmann::json j = {{"options", transformer_options_json(opts)}, {"objective", c.objective.kind},
                        {"batch", B}, {"seq_len", T}, {"steps", steps}, {"warmup", warmup},
                        {"threads", torch::get_num_threads()}, {"params", model->param_count()},
                        {"tok_s", tok_s}, {"tok_s_mean", tok_s_mean},
                        {"ms_per_step", 1000.0 * seconds / steps}, {"ms_best_step", 1000.0 * best},
                        {"gflops", flops / 1e9}, {"device", device.str()}};
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << "model: " << human_count(model->param_count()) << " params ("
            << human_count(model->active_param_count()) << " active), objective "
            << c.objective.kind << ", B=" << B << " T=" << T << ", threads "
            << torch::get_num_threads() << ", device " << device.str() << "\n"
            << "forward+backward: " << tok_s << " tok/s (best step), " << tok_s_mean
            << " tok/s (mean), " << 1000.0 * best << " ms best step, " << flops / 1e9
            << " GFLOP/s\n";
  return 0;
}

}  // namespace crossover
