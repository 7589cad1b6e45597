// `crossover eval CHECKPOINT --tasks a.jsonl[,b.jsonl] [--limit N] [--mc-samples N]
// [--task-mc fixed|adaptive] [--out results.json] [--config CONFIG] [--data DIR]
// [--no-val]`: validation loss and multiple-choice tasks of one checkpoint,
// printed as a table and written in lm-evaluation-harness's results layout.
// `crossover eval CHECKPOINT --loglik REQUESTS.jsonl --out RESPONSES.jsonl` and
// `crossover eval CHECKPOINT --serve` (stdin → stdout): log-likelihoods of any
// (context, continuation) list or text (eval/loglik_service.h).
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/eval/checkpoint_model.h"
#include "crossover/eval/codegen.h"
#include "crossover/eval/eval_options.h"
#include "crossover/eval/evaluator.h"
#include "crossover/eval/loglik_service.h"
#include "crossover/eval/multiple_choice.h"
#include "crossover/eval/validation.h"
#include "crossover/util/check.h"
#include "crossover/util/file_io.h"
#include "crossover/util/log.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace {


// The command line of `crossover eval`.
struct EvalArgs {
  std::string checkpoint;  // CHECKPOINT_DIR | RUN_DIR
  CheckpointModelOptions model;
  std::vector<std::string> tasks, codegen;  // as given: comma-separated and/or repeated
  int64_t limit = -1, mc_samples = 0, batch_tokens = 8192;
  std::string task_mc;            // fixed | adaptive ("" = the run's eval.task_mc)
  int64_t mc_min = 0, mc_round = 0;
  double mc_z = 0;
  std::string out, loglik;
  bool no_val = false, pad_mask = false, serve = false;
  // codegen
  int64_t samples = 1;
  std::string k = "1";
  double temperature = 0.2, top_p = 0.95;
  int64_t max_new_tokens = 256, steps = 0, block_length = 32, seed = 1234, jobs = 2;
  double timeout = 5;
  int64_t memory_mb = 1024;
  std::string python = "python3";
  bool unsafe_exec = false;
};

// Parses argv into `a`; false when --help was printed.
bool parse_eval_args(const std::vector<std::string>& argv, EvalArgs& a) {
  CommandLine cli(
      "eval",
      "Score a checkpoint: validation loss (AR NLL or MDM negative ELBO), multiple-choice\n"
      "tasks (acc, acc_norm, ΔNLL; MDM by a seeded Monte Carlo conditional ELBO) and code\n"
      "tasks (completions sampled, run against the tests in a sandbox, unbiased pass@k; the\n"
      "canonical solution's NLL). Task files: 'crossover data convert-task' or\n"
      "'crossover data make-tasks'; docs/eval.md.");
  cli.add_option("CHECKPOINT", a.checkpoint, "a checkpoint directory or a run directory (its latest)")
      ->required();
  add_repeated_option(cli, "--tasks", a.tasks,
                      "task JSONL files, comma-separated or repeated (default: the run's eval.tasks)");
  cli.add_option("--limit", a.limit, "items per task; 0 = all (default: the run's eval.task_limit)");
  cli.add_option("--mc-samples", a.mc_samples,
                 "MDM Monte Carlo samples per choice (default: eval.task_mc_samples)");
  cli.add_option("--task-mc", a.task_mc, "MDM: fixed | adaptive Monte Carlo (default: eval.task_mc)")
      ->check(one_of(choice_names<McMode>()));
  cli.add_option("--mc-min", a.mc_min, "adaptive: samples of the first round (default: eval.task_mc_min)");
  cli.add_option("--mc-round", a.mc_round, "adaptive: samples per later round (default: eval.task_mc_round)");
  cli.add_option("--mc-z", a.mc_z, "adaptive: paired standard errors to stop at (default: eval.task_mc_z)");
  cli.add_option("--out", a.out, "write lm-eval style results JSON here");
  cli.add_option("--config", a.model.config_path, "use this config instead of the one stored in the checkpoint");
  cli.add_option("--data", a.model.data_path,
                 "prepared dataset DIR (tokenizer, validation) instead of the run's data.path");
  cli.add_option("--device", a.model.device, "default: the run's runtime.device")
      ->check(one_of({"cpu", "cuda", "auto"}));
  cli.add_flag("--no-val", a.no_val, "skip the validation loss");
  cli.add_option("--loglik", a.loglik,
                 "score the requests of this JSONL file (docs/eval.md) into --out RESPONSES.jsonl");
  cli.add_flag("--serve", a.serve,
               "read requests on stdin, answer one JSON line each on stdout, until EOF");
  cli.add_option("--batch-tokens", a.batch_tokens, "tokens per forward pass (rows x length)");
  cli.add_flag("--pad-mask", a.pad_mask, "MDM: right-pad scoring rows with [MASK] to data.seq_len (as SMDM)");
  add_repeated_option(cli, "--codegen", a.codegen,
                      "code-task JSONL files (convert-task --format humaneval|mbpp), comma-separated "
                      "or repeated: sample, execute, pass@k and canonical-solution NLL (default: the "
                      "run's eval.codegen)");
  cli.add_option("--samples", a.samples, "codegen: completions per problem (n)");
  cli.add_option("--k", a.k, "codegen: pass@k for these k (each <= --samples), e.g. 1,10");
  cli.add_option("--temperature", a.temperature, "codegen: sampling temperature (0 = greedy/argmax)");
  cli.add_option("--top-p", a.top_p, "codegen: AR nucleus sampling");
  cli.add_option("--max-new-tokens", a.max_new_tokens, "codegen: new tokens (MDM: the generation length)");
  cli.add_option("--steps", a.steps, "codegen, MDM: denoising steps; 0 = one token per step");
  cli.add_option("--block-length", a.block_length, "codegen, MDM: semi-autoregressive block length");
  cli.add_option("--seed", a.seed, "codegen: sampling seed");
  cli.add_option("--jobs", a.jobs, "codegen: programs executed in parallel");
  cli.add_option("--timeout", a.timeout, "codegen: wall-clock seconds per program");
  cli.add_option("--memory-mb", a.memory_mb,
                 "codegen: memory limit (MiB): address space per process, and the whole sandbox's cgroup");
  cli.add_option("--python", a.python, "codegen: the Python 3 that runs the tests");
  cli.add_flag("--unsafe-exec", a.unsafe_exec,
               "codegen: execute generated code even where the sandbox's isolation is unavailable (not "
               "root, namespaces refused): it then runs as your user and can delete your files");
  return cli.parse_args(argv);
}

std::vector<std::string> split_list(const std::vector<std::string>& values,
                                    const std::vector<std::string>& fallback) {
  std::vector<std::string> out;
  for (const auto& v : values)
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

CodegenOptions codegen_options(const EvalArgs& args, const Paradigm& paradigm) {
  CodegenOptions o;
  o.paradigm = paradigm;
  o.samples = args.samples;
  o.ks = parse_ks(args.k);
  o.temperature = args.temperature;
  o.top_p = args.top_p;
  o.max_new_tokens = args.max_new_tokens;
  o.mdm_steps = args.steps;
  o.mdm_block_length = args.block_length;
  o.seed = static_cast<uint64_t>(args.seed);
  o.jobs = args.jobs;
  o.sandbox.timeout_s = args.timeout;
  o.sandbox.memory_mb = args.memory_mb;
  o.sandbox.python = args.python;
  o.sandbox.unsafe_exec = args.unsafe_exec;
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

// Prints one code task's line (sampled pass@k and canonical-solution NLL) and,
// with --out, writes the per-problem JSONL beside the summary.
nlohmann::ordered_json report_codegen(const CodegenEval& c, const CodegenOptions& co,
                                      const LoglikOptions& lo, const CheckpointModel& m,
                                      const EvalArgs& args, const nlohmann::ordered_json& config) {
  const CodegenResult& r = *c.sampled;
  const SolutionNll& nll = c.nll;
  const double nll_s = c.nll_s;
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
                    {"memory_mb", co.sandbox.memory_mb}, {"nll_mc_samples", m.paradigm.is_diffusion() ? lo.mc_samples : 0}};
  auto j = codegen_results_json(r, &nll, cfg);
  if (!args.out.empty()) {
    const std::string& out = args.out;
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

// --loglik / --serve: the scoring service (eval/loglik_service.h).
int run_loglik_service(const CheckpointModel& m, const EvalArgs& args) {
  LoglikOptions lo = make_eval_options(m.cfg, m.paradigm, m.tokenizer->mask_id(), m.bf16,
                                       m.model->options.max_seq_len()).tasks.loglik;
  if (args.mc_samples > 0) lo.mc_samples = args.mc_samples;
  lo.max_batch_tokens = args.batch_tokens;
  LoglikService service(m.model, *m.tokenizer, lo, m.model->options.max_seq_len(), m.device);
  std::cerr << "scoring service: " << (m.paradigm.is_diffusion() ? str_cat(m.paradigm.label(), ", ", lo.mc_samples, " Monte Carlo samples") : std::string("AR, exact"))
            << ", " << lo.max_batch_tokens << " tokens per forward pass\n";
  if (args.serve) {
    serve_loglik(std::cin, std::cout, service);
    return 0;
  }
  std::ifstream in(args.loglik);
  CROSSOVER_CHECK(in, "cannot read the request file '", args.loglik, "'");
  std::vector<RawLoglikRequest> raw;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    for (auto& r : parse_loglik_line(line)) raw.push_back(std::move(r));
  }
  Stopwatch time;
  int64_t failed = 0;
  std::string text;
  for (const auto& l : answer_loglik_requests(raw, service, &failed)) text += l + "\n";
  auto parent = std::filesystem::path(args.out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  write_file_atomic(args.out, text);
  std::cout << "scored " << raw.size() - static_cast<size_t>(failed) << " of " << raw.size()
            << " requests in " << std::fixed << std::setprecision(1) << time.seconds()
            << " s; wrote " << args.out << "\n";
  if (failed > 0) {
    std::cerr << "error: " << failed << " request(s) could not be scored; their lines in "
              << args.out << " hold the reason\n";
    return 1;
  }
  return 0;
}

}  // namespace

int cmd_eval(const std::vector<std::string>& argv) {
  EvalArgs args;
  if (!parse_eval_args(argv, args)) return 0;
  log_init(LogLevel::kInfo);
  const bool service = args.serve || !args.loglik.empty();
  if (args.serve && !args.loglik.empty())
    throw UsageError("eval: --serve reads stdin; give it without --loglik");
  if (!args.loglik.empty() && args.out.empty())
    throw UsageError("eval: --loglik needs --out RESPONSES.jsonl");
  if (!service && !args.codegen.empty()) require_sandbox_isolation(args.unsafe_exec);  // before reading anything
  CheckpointModel m = load_checkpoint_model(args.checkpoint, args.model);
  const Config& cfg = m.cfg;
  (service ? std::cerr : std::cout) << "checkpoint " << m.checkpoint << " (step " << m.step << ", objective "
            << cfg.objective.kind << ", " << human_count(m.model->param_count()) << " params, "
            << m.device.str() << ")\n";
  if (service) return run_loglik_service(m, args);

  const EvalOptions eval_opts = make_eval_options(cfg, m.paradigm, m.tokenizer->mask_id(), m.bf16,
                                                  m.model->options.max_seq_len());
  auto codegen = split_list(args.codegen, cfg.eval.codegen);
  // The run's eval.codegen: refused before any scoring, not after minutes of validation.
  if (!codegen.empty()) require_sandbox_isolation(args.unsafe_exec);
  nlohmann::ordered_json config;
  config["checkpoint"] = m.checkpoint;
  config["step"] = m.step;
  config["objective"] = choice_name(cfg.objective.kind);
  TaskScoringOptions so = eval_opts.tasks;
  if (args.mc_samples > 0) so.loglik.mc_samples = args.mc_samples;
  so.loglik.max_batch_tokens = args.batch_tokens;
  so.keep_items = !args.out.empty();
  if (!args.task_mc.empty()) so.mc.mode = parse_choice<McMode>(args.task_mc);
  if (args.mc_min > 0) so.mc.min_samples = args.mc_min;
  if (args.mc_round > 0) so.mc.round = args.mc_round;
  if (args.mc_z > 0) so.mc.z = args.mc_z;
  if (args.pad_mask)
    so.loglik.pad_to = std::min(cfg.data.seq_len, m.model->options.max_seq_len());
  const int64_t limit = args.limit >= 0 ? args.limit : cfg.eval.task_limit;
  config["mc_samples"] = m.paradigm.is_diffusion() ? so.loglik.mc_samples : 0;
  config["pad_to"] = m.paradigm.is_diffusion() ? so.loglik.pad_to : 0;
  config["task_mc"] = choice_name(so.mc.mode);
  if (so.mc.mode == McMode::kAdaptive)
    config["task_mc_adaptive"] = {{"min", so.mc.min_samples}, {"round", so.mc.round}, {"z", so.mc.z}};
  config["limit"] = limit;
  config["nll_unit"] = "nats per continuation token";

  // One Evaluator (eval/evaluator.h), as in training, with this command's overrides.
  EvaluatorSources sources = evaluator_sources(cfg);
  sources.tasks = split_list(args.tasks, cfg.eval.tasks);
  sources.task_limit = limit;
  sources.codegen = codegen;
  sources.codegen_limit = limit;
  sources.validation = !args.no_val && m.data && m.data->val;
  if (!args.no_val && !sources.validation)
    std::cout << "validation: skipped (dataset '" << cfg.data.path
              << "' or its validation split is not here; --data DIR to point at it)\n";
  Evaluator evaluator(sources, sources.validation ? m.data.get() : nullptr, m.tokenizer);
  EvalScoring how;
  how.opts = eval_opts;
  how.opts.tasks = so;
  CodegenOptions co;
  if (!codegen.empty()) {
    co = codegen_options(args, m.paradigm);
    co.bf16 = m.bf16;
    how.code_sampling = co;
  }
  Transformer model = m.model;
  EvalResult e = evaluator.evaluate(model, how, m.device);
  if (e.val) {
    const ValidationResult& v = *e.val;
    std::cout << std::fixed << std::setprecision(4) << "validation: loss " << v.loss
              << (v.loss_se > 0 ? str_cat(" ± ", v.loss_se) : "") << " nats/token, "
              << v.bpb << " bits/byte over " << v.tokens << " tokens (" << std::setprecision(1)
              << e.val_s << " s)\n";
    config["val_loss"] = v.loss;
    config["val_loss_se"] = v.loss_se;
    config["val_bpb"] = v.bpb;
    config["val_tokens"] = v.tokens;
  }
  const std::vector<TaskResult>& results = e.tasks;
  const std::vector<int64_t>& choices_scored = e.task_choices;
  const std::vector<double>& task_seconds = e.task_s;
  if (!results.empty()) {
    std::cout << "\n" << std::left << std::setw(24) << "task" << std::right << std::setw(7) << "n"
              << std::setw(16) << "acc" << std::setw(16) << "acc_norm" << std::setw(12)
              << "nll_corr" << std::setw(12) << "nll_wrong" << std::setw(10) << "delta_nll"
              << std::setw(10) << "margin" << std::setw(8) << "mc_amb" << std::setw(10) << "s"
              << "   samples mean/p50/p95, forward passes, at cap\n";
  }
  for (size_t i = 0; i < results.size(); ++i) {
    const TaskResult& r = results[i];
    std::cout << std::left << std::setw(24) << r.name << std::right << std::setw(7) << r.n
              << std::fixed << std::setprecision(4) << std::setw(9) << r.acc << " ±"
              << std::setw(5) << std::setprecision(3) << r.acc_se << std::setprecision(4)
              << std::setw(9) << r.acc_norm << " ±" << std::setw(5) << std::setprecision(3)
              << r.acc_norm_se << std::setprecision(4) << std::setw(12) << r.nll_correct
              << std::setw(12) << r.nll_wrong << std::setw(10) << r.delta_nll
              << std::setw(10) << r.margin << std::setw(8) << std::setprecision(3)
              << r.mc_ambiguous << std::setprecision(1) << std::setw(10) << task_seconds[i]
              << "   " << r.mc_samples_mean << "/" << std::setprecision(0) << r.mc_samples_p50
              << "/" << r.mc_samples_p95 << ", " << r.forward_passes << ", "
              << std::setprecision(3) << r.mc_at_cap << "\n";
  }
  nlohmann::ordered_json codegen_json;
  if (!e.codegen.empty()) {
    std::cout << "\ncode tasks (sampling with temperature " << str_cat(args.temperature)
              << ", executing in the sandbox)\n"
              << std::left << std::setw(24) << "task" << std::right << std::setw(7) << "n"
              << std::setw(5) << "k\n";
    for (const auto& c : e.codegen) {
      auto r = report_codegen(c, co, how.opts.tasks.loglik, m, args, config);
      codegen_json[r["alias"].get<std::string>()] = r;
    }
  }
  if (!args.out.empty()) {
    auto j = lm_eval_results_json(results, config);
    for (auto& [name, r] : codegen_json.items()) j["results"][name] = r;
    const std::string& out = args.out;
    auto parent = std::filesystem::path(out).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    const std::string stem =
        out.size() > 5 && out.compare(out.size() - 5, 5, ".json") == 0 ? out.substr(0, out.size() - 5) : out;
    for (size_t i = 0; i < results.size(); ++i) {  // throughput, for scripts/bench_eval.sh
      auto& t = j["results"][results[i].name];
      t["choices_scored"] = choices_scored[i];
      t["eval_s"] = task_seconds[i];
      // Per item: choice log-likelihoods and decisions (for agreement between runs).
      std::string rows;
      for (const auto& it : results[i].items) {
        nlohmann::ordered_json row = {{"index", it.index}, {"loglik", it.loglik}, {"pred", it.pred},
                                      {"pred_norm", it.pred_norm}, {"samples", it.samples},
                                      {"resolved", it.resolved}};
        rows += row.dump() + "\n";
      }
      const std::string items_file = stem + "." + results[i].name + ".items.jsonl";
      write_file_atomic(items_file, rows);
      t["items_file"] = items_file;
    }
    std::ofstream f(out, std::ios::trunc);
    CROSSOVER_CHECK(f, "cannot write '", out, "'");
    f << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    std::cout << "wrote " << out << "\n";
  }
  return 0;
}

}  // namespace crossover
