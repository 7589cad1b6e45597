// `crossover eval CHECKPOINT --tasks a.jsonl[,b.jsonl] [--limit N] [--mc-samples N]
// [--out results.json] [--config CONFIG] [--data DIR] [--no-val]`: validation loss
// and multiple-choice tasks of one checkpoint, printed as a table and written
// in lm-evaluation-harness's results layout.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/data/validation.h"
#include "crossover/eval/checkpoint_model.h"
#include "crossover/eval/codegen.h"
#include "crossover/eval/eval_options.h"
#include "crossover/eval/multiple_choice.h"
#include "crossover/eval/validation.h"
#include "crossover/util/check.h"
#include "crossover/util/file_io.h"
#include "crossover/util/log.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace {


std::vector<std::string> split_list(const Args& args, const char* option,
                                    const std::vector<std::string>& fallback) {
  std::vector<std::string> out;
  for (const auto& v : args.all(option))
    for (const auto& t : str_split(v, ','))
      if (!str_trim(t).empty()) out.push_back(str_trim(t));
  return out.empty() ? fallback : out;
}

std::vector<int64_t> parse_ks(const std::string& text) {
  std::vector<int64_t> ks;
  for (const auto& part : str_split(text, ',')) {
    const std::string t = str_trim(part);
    char* end = nullptr;
    long long k = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || k < 1)
      throw UsageError(str_cat("eval: --k '", text, "' must be positive integers, e.g. --k 1,10"));
    ks.push_back(k);
  }
  return ks;
}

CodegenOptions codegen_options(const Args& args, bool diffusion) {
  CodegenOptions o;
  o.diffusion = diffusion;
  o.samples = args.get_int("samples");
  o.ks = parse_ks(args.get("k"));
  o.temperature = args.get_double("temperature");
  o.top_p = args.get_double("top-p");
  o.max_new_tokens = args.get_int("max-new-tokens");
  o.mdm_steps = args.get_int("steps");
  o.mdm_block_length = args.get_int("block-length");
  o.seed = static_cast<uint64_t>(args.get_int("seed"));
  o.jobs = args.get_int("jobs");
  o.sandbox.timeout_s = args.get_double("timeout");
  o.sandbox.memory_mb = args.get_int("memory-mb");
  o.sandbox.python = args.get("python");
  if (o.samples < 1) throw UsageError(str_cat("eval: --samples ", o.samples, " must be >= 1"));
  for (int64_t k : o.ks)
    if (k > o.samples)
      throw UsageError(str_cat("eval: pass@", k, " needs --samples >= ", k, " (got ", o.samples, ")"));
  if (!(o.temperature >= 0) || !(o.top_p > 0 && o.top_p <= 1))
    throw UsageError(str_cat("eval: --temperature must be >= 0 and --top-p in (0, 1]"));
  if (o.jobs < 1 || o.jobs > 64) throw UsageError(str_cat("eval: --jobs ", o.jobs, " must be in [1, 64]"));
  if (!(o.sandbox.timeout_s > 0) || o.sandbox.memory_mb < 64)
    throw UsageError("eval: --timeout must be > 0 and --memory-mb >= 64");
  if (o.max_new_tokens < 1 || o.mdm_steps < 0 || o.mdm_block_length < 1)
    throw UsageError("eval: --max-new-tokens and --block-length must be >= 1, --steps >= 0");
  return o;
}

// Samples, executes and scores one code task; prints its line and, with --out,
// writes the per-problem JSONL beside the summary.
nlohmann::ordered_json run_codegen(const CheckpointModel& m, const std::string& path, int64_t limit,
                                   const Args& args, const nlohmann::ordered_json& config) {
  CodegenTask task = load_codegen_task(path, limit);
  CodegenOptions co = codegen_options(args, m.diffusion);
  LoglikOptions lo = make_eval_options(m.cfg, m.diffusion, m.tokenizer->mask_id(), m.bf16,
                                       m.model->options.max_seq_len()).tasks.loglik;
  if (args.get_int("mc-samples") > 0) lo.mc_samples = args.get_int("mc-samples");
  Transformer model = m.model;
  Stopwatch nll_time;
  SolutionNll nll = canonical_solution_nll(model, *m.tokenizer, task, lo, model->options.max_seq_len(), m.device);
  const double nll_s = nll_time.seconds();
  CodegenResult r = evaluate_codegen(model, *m.tokenizer, task, co, m.device);
  std::cout << std::left << std::setw(24) << r.name << std::right << std::setw(7) << r.problems.size()
            << std::setw(5) << co.samples;
  for (const auto& [k, v] : r.pass_at_k) std::cout << "  pass@" << k << " " << std::fixed << std::setprecision(4) << v;
  std::cout << "  solution NLL " << std::setprecision(4) << nll.nll;
  if (nll.nll_se > 0) std::cout << " ± " << nll.nll_se;
  std::cout << " nats/token (" << nll.tokens << " tokens, " << nll.problems_truncated
            << " truncated)  " << std::setprecision(1) << r.generate_s << " s sampling, " << r.execute_s
            << " s executing, " << nll_s << " s NLL\n";
  std::map<std::string, int64_t> outcomes;
  for (const auto& p : r.problems)
    for (const auto& smp : p.samples) ++outcomes[smp.result.status];
  std::cout << "  outcomes:";
  for (const auto& [k, v] : outcomes) std::cout << " " << k << " " << v;
  std::cout << " | new tokens " << r.gen_length << ", prompts truncated " << r.prompts_truncated
            << " | sandbox: " << r.isolation << "\n";
  nlohmann::ordered_json cfg = config;
  cfg["codegen"] = {{"samples", co.samples}, {"temperature", co.temperature}, {"top_p", co.top_p},
                    {"max_new_tokens", co.max_new_tokens}, {"gen_length", r.gen_length},
                    {"mdm_steps", co.mdm_steps}, {"mdm_block_length", co.mdm_block_length},
                    {"seed", co.seed}, {"timeout_s", co.sandbox.timeout_s},
                    {"memory_mb", co.sandbox.memory_mb}, {"nll_mc_samples", m.diffusion ? lo.mc_samples : 0}};
  auto j = codegen_results_json(r, &nll, cfg);
  if (args.has("out")) {
    std::string out = args.get("out");
    std::string stem = out.size() > 5 && out.compare(out.size() - 5, 5, ".json") == 0 ? out.substr(0, out.size() - 5) : out;
    std::string rows = stem + "." + r.name + ".jsonl";
    auto parent = std::filesystem::path(rows).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    write_file_atomic(rows, codegen_problems_jsonl(r));
    j["results"][r.name]["problems_file"] = rows;
    std::cout << "wrote " << rows << "\n";
  }
  return j["results"][r.name];
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
              false, false, ""},
             {"codegen", "code-task JSONL files (convert-task --format humaneval|mbpp), comma-"
                         "separated or repeated: sample, execute, pass@k and canonical-solution NLL "
                         "(default: the run's eval.codegen)", true, true, ""},
             {"samples", "codegen: completions per problem (n)", true, false, "1"},
             {"k", "codegen: pass@k for these k (each <= --samples)", true, false, "1"},
             {"temperature", "codegen: sampling temperature (0 = greedy/argmax)", true, false, "0.2"},
             {"top-p", "codegen: AR nucleus sampling", true, false, "0.95"},
             {"max-new-tokens", "codegen: new tokens (MDM: the generation length)", true, false, "256"},
             {"steps", "codegen, MDM: denoising steps; 0 = one token per step", true, false, "0"},
             {"block-length", "codegen, MDM: semi-autoregressive block length", true, false, "32"},
             {"seed", "codegen: sampling seed", true, false, "1234"},
             {"jobs", "codegen: programs executed in parallel", true, false, "2"},
             {"timeout", "codegen: wall-clock seconds per program", true, false, "5"},
             {"memory-mb", "codegen: address-space limit per program (MiB)", true, false, "1024"},
             {"python", "codegen: the Python 3 that runs the tests", true, false, "python3"}},
            argv);
  if (args.help()) {
    std::cout << args.usage(
        "CHECKPOINT_DIR|RUN_DIR [--tasks a.jsonl,b.jsonl] [--codegen he.jsonl --samples n --k 1,10] [options]",
        "Score a checkpoint: validation loss (AR NLL or MDM negative ELBO), multiple-choice\n"
        "tasks (acc, acc_norm, ΔNLL; MDM by a seeded Monte Carlo conditional ELBO) and code\n"
        "tasks (completions sampled, run against the tests in a sandbox, unbiased pass@k; the\n"
        "canonical solution's NLL). Task files: 'crossover data convert-task' or\n"
        "'crossover data make-tasks'; docs/eval.md.");
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

  const EvalOptions eval_opts = make_eval_options(cfg, m.diffusion, m.tokenizer->mask_id(), m.bf16,
                                                  m.model->options.max_seq_len());
  nlohmann::ordered_json config;
  config["checkpoint"] = m.checkpoint;
  config["step"] = m.step;
  config["objective"] = cfg.objective.kind;
  if (!args.has("no-val")) {
    if (!m.data || !m.data->val) {
      std::cout << "validation: skipped (dataset '" << cfg.data.path
                << "' or its validation split is not here; --data DIR to point at it)\n";
    } else {
      Stopwatch val_time;
      auto batches = validation_batches(*m.data, cfg.data.seq_len, cfg.eval.val_tokens,
                                        cfg.eval.val_batch_size);
      ValidationOptions vo = eval_opts.val;
      vo.bytes_per_token = validation_bytes_per_token(*m.tokenizer, batches);
      ValidationResult v = evaluate_validation(m.model, batches, vo, m.device);
      std::cout << std::fixed << std::setprecision(4) << "validation: loss " << v.loss
                << (v.loss_se > 0 ? str_cat(" ± ", v.loss_se) : "") << " nats/token, "
                << v.bpb << " bits/byte over " << v.tokens << " tokens (" << std::setprecision(1)
                << val_time.seconds() << " s)\n";
      config["val_loss"] = v.loss;
      config["val_loss_se"] = v.loss_se;
      config["val_bpb"] = v.bpb;
      config["val_tokens"] = v.tokens;
    }
  }

  TaskScoringOptions so = eval_opts.tasks;
  if (args.get_int("mc-samples") > 0) so.loglik.mc_samples = args.get_int("mc-samples");
  so.loglik.max_batch_tokens = args.get_int("batch-tokens");
  if (args.has("pad-mask"))
    so.loglik.pad_to = std::min(cfg.data.seq_len, m.model->options.max_seq_len());
  const int64_t limit = args.get_int("limit") >= 0 ? args.get_int("limit") : cfg.eval.task_limit;
  config["mc_samples"] = m.diffusion ? so.loglik.mc_samples : 0;
  config["pad_to"] = m.diffusion ? so.loglik.pad_to : 0;
  config["limit"] = limit;
  config["nll_unit"] = "nats per continuation token";

  std::vector<TaskResult> results;
  std::vector<int64_t> choices_scored;
  std::vector<double> task_seconds;
  auto tasks = split_list(args, "tasks", cfg.eval.tasks);
  if (!tasks.empty()) {
    std::cout << "\n" << std::left << std::setw(24) << "task" << std::right << std::setw(7) << "n"
              << std::setw(16) << "acc" << std::setw(16) << "acc_norm" << std::setw(12)
              << "nll_corr" << std::setw(12) << "nll_wrong" << std::setw(10) << "delta_nll"
              << std::setw(10) << "margin" << std::setw(8) << "mc_amb" << std::setw(10) << "s"
              << "\n";
  }
  for (const auto& path : tasks) {
    Task task = load_task(path, limit);
    Stopwatch task_time;
    TaskResult r = evaluate_task(m.model, *m.tokenizer, task, so, m.device);
    results.push_back(r);
    int64_t choices = 0;
    for (const auto& item : task.items) choices += static_cast<int64_t>(item.choices.size());
    choices_scored.push_back(choices);
    task_seconds.push_back(task_time.seconds());
    std::cout << std::left << std::setw(24) << r.name << std::right << std::setw(7) << r.n
              << std::fixed << std::setprecision(4) << std::setw(9) << r.acc << " ±"
              << std::setw(5) << std::setprecision(3) << r.acc_se << std::setprecision(4)
              << std::setw(9) << r.acc_norm << " ±" << std::setw(5) << std::setprecision(3)
              << r.acc_norm_se << std::setprecision(4) << std::setw(12) << r.nll_correct
              << std::setw(12) << r.nll_wrong << std::setw(10) << r.delta_nll
              << std::setw(10) << r.margin << std::setw(8) << std::setprecision(3)
              << r.mc_ambiguous << std::setprecision(1) << std::setw(10) << task_time.seconds()
              << "\n";
  }
  nlohmann::ordered_json codegen_json;
  auto codegen = split_list(args, "codegen", cfg.eval.codegen);
  if (!codegen.empty()) {
    std::cout << "\ncode tasks (sampling with temperature " << args.get("temperature")
              << ", executing in the sandbox)\n"
              << std::left << std::setw(24) << "task" << std::right << std::setw(7) << "n"
              << std::setw(5) << "k\n";
    for (const auto& path : codegen) {
      auto r = run_codegen(m, path, limit, args, config);
      codegen_json[r["alias"].get<std::string>()] = r;
    }
  }
  if (args.has("out")) {
    auto j = lm_eval_results_json(results, config);
    for (auto& [name, r] : codegen_json.items()) j["results"][name] = r;
    for (size_t i = 0; i < results.size(); ++i) {  // throughput, for scripts/bench_eval.sh
      j["results"][results[i].name]["choices_scored"] = choices_scored[i];
      j["results"][results[i].name]["eval_s"] = task_seconds[i];
    }
    std::string out = args.get("out");
    auto parent = std::filesystem::path(out).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    std::ofstream f(out, std::ios::trunc);
    CROSSOVER_CHECK(f, "cannot write '", out, "'");
    f << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    std::cout << "wrote " << out << "\n";
  }
  return 0;
}

}  // namespace crossover
