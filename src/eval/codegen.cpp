// codegen.cpp — see codegen.h.
#include "crossover/eval/codegen.h"

#include <torch/torch.h>

#include <atomic>
#include <climits>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "crossover/eval/generate.h"
#include "crossover/eval/pass_at_k.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"
#include "crossover/util/strings.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
std::vector<SandboxResult> execute_completions(const std::vector<const CodegenProblem*>& problems,
                                               const std::vector<std::string>& completions,
                                               const SandboxOptions& opts, int64_t jobs) {
  CROSSOVER_CHECK(problems.size() == completions.size(), problems.size(), " problems for ",
                  completions.size(), " completions");
  CROSSOVER_CHECK(jobs >= 1 && jobs <= 64, "--jobs ", jobs, " must be in [1, 64]");
  const size_t n = problems.size();
  std::vector<SandboxResult> out(n);
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex mu;
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        out[i] = run_python_sandboxed(codegen_program(*problems[i], completions[i]), opts);
      } catch (...) {  // the sandbox itself failed (no Python, no temp dir): stop everyone
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::current_exception();
        next.store(n);
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int64_t j = 0; j < std::min<int64_t>(jobs, static_cast<int64_t>(n)); ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return out;
}

CodegenResult evaluate_codegen(Transformer& model, const Tokenizer& tok, const CodegenTask& task,
                               const CodegenOptions& o, torch::Device device) {
  CROSSOVER_CHECK(o.samples >= 1, "--samples ", o.samples, " must be >= 1");
  for (int64_t k : o.ks)
    CROSSOVER_CHECK(k >= 1 && k <= o.samples, "pass@", k, " needs at least ", k,
                    " samples per problem (--samples ", o.samples, "); hint: --samples ", k);
  CROSSOVER_CHECK(o.max_new_tokens >= 1, "--max-new-tokens ", o.max_new_tokens, " must be >= 1");
  const int64_t context = model->options.max_seq_len();
  // One generation length for every problem: max_new_tokens, but never more than
  // half the context when the longest prompt would not fit beside it.
  std::vector<std::vector<int64_t>> prompts;  // EOS (a document boundary) + the prompt's tokens
  int64_t longest_prompt = 0;
  for (const auto& p : task.problems) {
    prompts.push_back(prompt_ids(tok, p.prompt));
    longest_prompt = std::max<int64_t>(longest_prompt, static_cast<int64_t>(prompts.back().size()));
  }
  int64_t gen = std::min(o.max_new_tokens, context - 1);  // leave room for >= 1 prompt token
  if (gen + longest_prompt > context) gen = std::min(gen, std::max(context / 2, context - longest_prompt));
  int64_t block = 0, steps = 0;
  if (o.paradigm.kind == ParadigmKind::masked_diffusion) {
    block = std::min(o.mdm_block_length, gen);
    CROSSOVER_CHECK(block >= 1, "--block-length ", o.mdm_block_length, " must be >= 1");
    gen = gen / block * block;  // whole blocks
    steps = o.mdm_steps > 0 ? o.mdm_steps : gen;
    CROSSOVER_CHECK(steps % (gen / block) == 0, "--steps ", steps, " must be a multiple of the ",
                    gen / block, " blocks (", gen, " new tokens / block length ", block, ")");
  } else if (o.paradigm.kind == ParadigmKind::block_diffusion) {
    steps = o.mdm_steps;  // 0: one token per step (eval/generate.h)
  }
  CodegenResult res;
  res.name = task.name;
  res.gen_length = gen;
  SampleOptions so;
  so.paradigm = o.paradigm;
  so.max_new_tokens = gen;
  so.temperature = o.temperature;
  so.top_p = o.top_p;
  so.steps = steps;
  so.block_length = block;
  so.remasking = o.remasking;
  so.bf16 = o.bf16;
  std::vector<const CodegenProblem*> run_problems;
  std::vector<std::string> completions;
  Stopwatch phase;
  {
    torch::NoGradGuard no_grad;
    const bool was_training = model->is_training();
    model->eval();
    for (size_t i = 0; i < task.problems.size(); ++i) {
      const CodegenProblem& p = task.problems[i];
      std::vector<int64_t>& ids = prompts[i];
      const int64_t max_prompt = context - gen;
      if (static_cast<int64_t>(ids.size()) > max_prompt) {
        ids.erase(ids.begin(), ids.end() - max_prompt);
        ++res.prompts_truncated;
      }
      auto prompt = torch::tensor(ids, torch::kInt64).unsqueeze(0).repeat({o.samples, 1}).to(device);  // (n, P)
      auto g = make_generator(o.seed, "codegen", static_cast<int64_t>(i), 0, 0, device);
      so.stop = p.stop;
      auto out = generate(model, tok, prompt, so, g);  // (n, P + new)
      const int64_t P = prompt.size(1);
      for (int64_t s = 0; s < o.samples; ++s) {
        run_problems.push_back(&p);
        completions.push_back(truncate_at_stop(decode_until_eos(tok, out[s].narrow(0, P, out.size(1) - P)), p.stop));
      }
    }
    if (was_training) model->train();
  }
  res.generate_s = phase.seconds();
  phase.restart();
  auto results = execute_completions(run_problems, completions, o.sandbox, o.jobs);
  res.execute_s = phase.seconds();
  std::vector<int64_t> ns, cs;
  for (size_t i = 0; i < task.problems.size(); ++i) {
    CodegenProblemResult pr;
    pr.id = task.problems[i].id;
    pr.n = o.samples;
    for (int64_t s = 0; s < o.samples; ++s) {
      const size_t j = i * static_cast<size_t>(o.samples) + static_cast<size_t>(s);
      if (results[j].passed()) ++pr.correct;
      if (res.isolation.empty()) res.isolation = results[j].isolation;
      pr.samples.push_back({completions[j], results[j]});
    }
    ns.push_back(pr.n);
    cs.push_back(pr.correct);
    res.problems.push_back(std::move(pr));
  }
  for (int64_t k : o.ks) res.pass_at_k.emplace_back(k, mean_pass_at_k(ns, cs, k));
  return res;
}

LoglikRequest make_solution_request(const Tokenizer& tok, const CodegenProblem& p, int64_t max_tokens,
                                    bool* truncated) {
  CROSSOVER_CHECK(max_tokens >= 2, "a context of ", max_tokens, " tokens cannot score a solution");
  LoglikRequest req = make_loglik_request(tok, p.prompt, p.canonical_solution, INT64_MAX / 4);
  *truncated = false;
  const int64_t n = static_cast<int64_t>(req.tokens.size());
  if (n <= max_tokens) return req;
  // Keep as many of the solution's first tokens as fit beside the prompt, at least half the context.
  const int64_t keep_cont = std::min(req.continuation_tokens(),
                                     std::max(max_tokens / 2, max_tokens - req.n_context));
  if (keep_cont < req.continuation_tokens()) {
    req.tokens.resize(static_cast<size_t>(req.n_context + keep_cont));
    *truncated = true;
  }
  const int64_t over = static_cast<int64_t>(req.tokens.size()) - max_tokens;
  if (over > 0) {  // the prompt's left end goes
    req.tokens.erase(req.tokens.begin(), req.tokens.begin() + over);
    req.n_context -= over;
  }
  return req;
}

SolutionNll canonical_solution_nll(Transformer& model, const Tokenizer& tok, const CodegenTask& task,
                                   const LoglikOptions& lo, int64_t max_seq_len, torch::Device device) {
  SolutionNll r;
  std::vector<LoglikRequest> reqs;
  for (size_t i = 0; i < task.problems.size(); ++i) {
    const auto& p = task.problems[i];
    if (p.canonical_solution.empty()) continue;
    bool truncated = false;
    // The same tokens for AR and MDM: max_seq_len tokens in all (AR's last is never an input).
    LoglikRequest q = make_solution_request(tok, p, max_seq_len, &truncated);
    q.item = static_cast<int64_t>(i);
    reqs.push_back(std::move(q));
    r.problems_truncated += truncated ? 1 : 0;
  }
  CROSSOVER_CHECK(!reqs.empty(), "code task '", task.name, "' has no canonical solutions to score");
  std::vector<std::vector<double>> samples;
  auto ll = compute_logliks(model, reqs, lo, device, &samples);
  double total = 0, var = 0;
  for (size_t q = 0; q < reqs.size(); ++q) {
    const int64_t L = reqs[q].continuation_tokens();
    total -= ll[q];
    r.tokens += L;
    r.per_problem.push_back(-ll[q] / static_cast<double>(L));
    const auto& s = samples[q];
    if (s.size() > 1) {  // variance of the mean of N draws
      double m = 0, ss = 0;
      for (double v : s) m += v;
      m /= static_cast<double>(s.size());
      for (double v : s) ss += (v - m) * (v - m);
      var += ss / static_cast<double>(s.size() - 1) / static_cast<double>(s.size());
    }
  }
  r.problems = static_cast<int64_t>(reqs.size());
  r.nll = total / static_cast<double>(r.tokens);
  r.nll_se = std::sqrt(var) / static_cast<double>(r.tokens);
  return r;
}

nlohmann::ordered_json codegen_results_json(const CodegenResult& r, const SolutionNll* nll,
                                            const nlohmann::ordered_json& config) {
  nlohmann::ordered_json t;
  t["alias"] = r.name;
  for (const auto& [k, v] : r.pass_at_k) t[str_cat("pass@", k, ",none")] = v;
  t["problems"] = static_cast<int64_t>(r.problems.size());
  t["samples_per_problem"] = r.problems.empty() ? 0 : r.problems.front().n;
  t["gen_length"] = r.gen_length;
  t["prompts_truncated"] = r.prompts_truncated;
  t["generate_s"] = r.generate_s;
  t["execute_s"] = r.execute_s;
  t["sandbox"] = r.isolation;
  if (nll) {
    t["canonical_nll,none"] = nll->nll;
    t["canonical_nll_stderr,none"] = nll->nll_se;
    t["canonical_tokens"] = nll->tokens;
    t["canonical_truncated"] = nll->problems_truncated;
  }
  nlohmann::ordered_json j;
  j["results"][r.name] = t;
  j["config"] = config;
  return j;
}

std::string codegen_problems_jsonl(const CodegenResult& r) {
  std::string out;
  for (const auto& p : r.problems) {
    nlohmann::ordered_json j;
    j["task_id"] = p.id;
    j["n"] = p.n;
    j["correct"] = p.correct;
    for (const auto& [k, v] : r.pass_at_k)
      if (k <= p.n) j[str_cat("pass@", k)] = pass_at_k(p.n, p.correct, k);
    for (const auto& s : p.samples)
      j["samples"].push_back({{"completion", s.completion}, {"status", s.result.status},
                              {"reason", s.result.reason}, {"seconds", s.result.seconds}});
    out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";  // byte-level models emit invalid UTF-8
  }
  return out;
}

}  // namespace crossover
