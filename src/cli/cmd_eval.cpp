// `crossover eval CHECKPOINT --tasks a.jsonl[,b.jsonl] [--limit N] [--mc-samples N]
// [--out results.json] [--config CONFIG] [--data DIR] [--no-val]`: validation loss
// and multiple-choice tasks of one checkpoint, printed as a table and written
// in lm-evaluation-harness's results layout.
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/data/validation.h"
#include "crossover/eval/checkpoint_model.h"
#include "crossover/eval/multiple_choice.h"
#include "crossover/eval/validation.h"
#include "crossover/util/check.h"
#include "crossover/util/log.h"

namespace crossover {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<std::string> split_tasks(const Args& args, const Config& cfg) {
  std::vector<std::string> out;
  for (const auto& v : args.all("tasks"))
    for (const auto& t : str_split(v, ','))
      if (!str_trim(t).empty()) out.push_back(str_trim(t));
  return out.empty() ? cfg.eval.tasks : out;
}

}  // namespace

int cmd_eval(const std::vector<std::string>& argv) {
  Args args("eval",
            {{"tasks", "task JSONL files, comma-separated or repeated (default: the run's "
                       "eval.tasks)", true, true, ""},
             {"limit", "items per task; 0 = all (default: the run's eval.task_limit)", true, false, "-1"},
             {"mc-samples", "MDM Monte Carlo samples per choice (default: eval.task_mc_samples)",
              true, false, "0"},
             {"out", "write lm-eval style results JSON here", true, false, ""},
             {"config", "use this config instead of the one stored in the checkpoint", true, false, ""},
             {"data", "prepared dataset DIR (tokenizer, validation) instead of the run's data.path",
              true, false, ""},
             {"device", "cpu | cuda | auto (default: the run's runtime.device)", true, false, ""},
             {"no-val", "skip the validation loss", false, false, ""},
             {"batch-tokens", "tokens per forward pass (rows x length)", true, false, "8192"},
             {"pad-mask", "MDM: right-pad scoring rows with [MASK] to data.seq_len (as SMDM)",
              false, false, ""}},
            argv);
  if (args.help()) {
    std::cout << args.usage(
        "CHECKPOINT_DIR|RUN_DIR [--tasks a.jsonl,b.jsonl] [options]",
        "Score a checkpoint: validation loss (AR NLL or MDM negative ELBO) and multiple-choice\n"
        "tasks (acc, acc_norm, ΔNLL; MDM by a seeded Monte Carlo conditional ELBO). Task files:\n"
        "'crossover data convert-task' or 'crossover data make-tasks'.");
    return 0;
  }
  args.expect_positional(1, "one CHECKPOINT_DIR or RUN_DIR");
  log_init(LogLevel::kInfo);
  CheckpointModelOptions mo{args.get("config"), args.get("data"), args.get("device")};
  CheckpointModel m = load_checkpoint_model(args.positional()[0], mo);
  const Config& cfg = m.cfg;
  std::cout << "checkpoint " << m.checkpoint << " (step " << m.step << ", objective "
            << cfg.objective.kind << ", " << human_count(m.model->param_count()) << " params, "
            << m.device.str() << ")\n";

  nlohmann::ordered_json config;
  config["checkpoint"] = m.checkpoint;
  config["step"] = m.step;
  config["objective"] = cfg.objective.kind;
  if (!args.has("no-val")) {
    if (!m.data || !m.data->val) {
      std::cout << "validation: skipped (dataset '" << cfg.data.path
                << "' or its validation split is not here; --data DIR to point at it)\n";
    } else {
      auto t0 = Clock::now();
      auto batches = validation_batches(*m.data, cfg.data.seq_len, cfg.eval.val_tokens,
                                        cfg.eval.val_batch_size);
      ValidationOptions vo;
      vo.diffusion = m.diffusion;
      vo.mc_samples = cfg.eval.mc_samples;
      vo.mask_eps = cfg.objective.mask_eps;
      vo.mask_id = m.tokenizer->mask_id();
      vo.bytes_per_token = validation_bytes_per_token(*m.tokenizer, batches);
      vo.bf16 = m.bf16;
      ValidationResult v = evaluate_validation(m.model, batches, vo, m.device);
      std::cout << std::fixed << std::setprecision(4) << "validation: loss " << v.loss
                << (v.loss_se > 0 ? str_cat(" ± ", v.loss_se) : "") << " nats/token, "
                << v.bpb << " bits/byte over " << v.tokens << " tokens (" << std::setprecision(1)
                << seconds_since(t0) << " s)\n";
      config["val_loss"] = v.loss;
      config["val_loss_se"] = v.loss_se;
      config["val_bpb"] = v.bpb;
      config["val_tokens"] = v.tokens;
    }
  }

  TaskScoringOptions so;
  so.loglik.diffusion = m.diffusion;
  so.loglik.mc_samples = args.get_int("mc-samples") > 0 ? args.get_int("mc-samples")
                                                        : cfg.eval.task_mc_samples;
  so.loglik.mask_id = m.tokenizer->mask_id();
  so.loglik.bf16 = m.bf16;
  so.loglik.max_batch_tokens = args.get_int("batch-tokens");
  if (args.has("pad-mask"))
    so.loglik.pad_to = std::min(cfg.data.seq_len, m.model->options.max_seq_len());
  so.max_seq_len = m.model->options.max_seq_len();
  const int64_t limit = args.get_int("limit") >= 0 ? args.get_int("limit") : cfg.eval.task_limit;
  config["mc_samples"] = m.diffusion ? so.loglik.mc_samples : 0;
  config["pad_to"] = m.diffusion ? so.loglik.pad_to : 0;
  config["limit"] = limit;
  config["nll_unit"] = "nats per continuation token";

  std::vector<TaskResult> results;
  std::vector<int64_t> choices_scored;
  std::vector<double> task_seconds;
  auto tasks = split_tasks(args, cfg);
  if (!tasks.empty()) {
    std::cout << "\n" << std::left << std::setw(24) << "task" << std::right << std::setw(7) << "n"
              << std::setw(16) << "acc" << std::setw(16) << "acc_norm" << std::setw(12)
              << "nll_corr" << std::setw(12) << "nll_wrong" << std::setw(10) << "delta_nll"
              << std::setw(10) << "margin" << std::setw(8) << "mc_amb" << std::setw(10) << "s"
              << "\n";
  }
  for (const auto& path : tasks) {
    Task task = load_task(path, limit);
    auto t0 = Clock::now();
    TaskResult r = evaluate_task(m.model, *m.tokenizer, task, so, m.device);
    results.push_back(r);
    int64_t choices = 0;
    for (const auto& item : task.items) choices += static_cast<int64_t>(item.choices.size());
    choices_scored.push_back(choices);
    task_seconds.push_back(seconds_since(t0));
    std::cout << std::left << std::setw(24) << r.name << std::right << std::setw(7) << r.n
              << std::fixed << std::setprecision(4) << std::setw(9) << r.acc << " ±"
              << std::setw(5) << std::setprecision(3) << r.acc_se << std::setprecision(4)
              << std::setw(9) << r.acc_norm << " ±" << std::setw(5) << std::setprecision(3)
              << r.acc_norm_se << std::setprecision(4) << std::setw(12) << r.nll_correct
              << std::setw(12) << r.nll_wrong << std::setw(10) << r.delta_nll
              << std::setw(10) << r.margin << std::setw(8) << std::setprecision(3)
              << r.mc_ambiguous << std::setprecision(1) << std::setw(10) << seconds_since(t0)
              << "\n";
  }
  if (args.has("out")) {
    auto j = lm_eval_results_json(results, config);
    for (size_t i = 0; i < results.size(); ++i) {  // throughput, for scripts/bench_eval.sh
      j["results"][results[i].name]["choices_scored"] = choices_scored[i];
      j["results"][results[i].name]["eval_s"] = task_seconds[i];
    }
    std::string out = args.get("out");
    auto parent = std::filesystem::path(out).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    std::ofstream f(out, std::ios::trunc);
    CROSSOVER_CHECK(f, "cannot write '", out, "'");
    f << j.dump(2) << "\n";
    std::cout << "wrote " << out << "\n";
  }
  return 0;
}

}  // namespace crossover
