// codegen.h — code-generation scoring for every paradigm: sample completions,
// execute them against the problems' tests in the sandbox, and report pass@k;
// plus a likelihood metric that still moves at laptop scale, where pass@k is 0.
//
// Sampling (one batch of n rows per problem, same seed -> same completions):
//   AR   ar_generate with the KV cache, temperature / top-p, stops at EOS;
//   MDM  mdm_generate (LLaDA's low-confidence remasking, semi-autoregressive
//        blocks), gen_length = max_new_tokens, steps = gen_length by default
//        (one token per step), blocks of block_length; the same temperature
//        (Gumbel-max at temperature T samples softmax(logits / T));
//   BD3  bd3_generate block by block (the model's block size) with the KV
//        cache, the same unmasking inside a block, steps = gen_length by
//        default; it stops after the block in which every sample has reached
//        EOS or one of the problem's stop sequences.
// The prompt is the problem's prompt after an EOS (a document boundary, as in
// the packed training stream). Every problem gets the same number of new
// tokens: max_new_tokens, lowered to max(context/2, context − longest prompt)
// when the longest prompt would not fit beside it; a prompt still too long keeps
// its rightmost tokens (counted in prompts_truncated).
// Every paradigm's text is cut at EOS and then at the problem's stop sequences.
//
// Canonical-solution NLL: −log p(canonical_solution | prompt) per token, AR
// exactly, the DLM by its seeded conditional ELBO (eval/loglikelihood.h, the
// Monte Carlo standard error reported), both on the same max_seq_len tokens:
// when prompt + solution do not fit, the solution keeps its first
// max(max_seq_len/2, max_seq_len − prompt) tokens and the prompt its end — a model
// with a short context (the mini configs: 128) scores a prefix of the solution
// (problems_truncated counts those) after the end of the prompt.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crossover/data/tokenizer.h"
#include "crossover/eval/codegen_task.h"
#include "crossover/eval/loglikelihood.h"
#include "crossover/eval/sandbox.h"
#include "crossover/model/transformer.h"

namespace crossover {

struct CodegenOptions {
  Paradigm paradigm;             // the model's: which sampler (eval/generate.h)
  int64_t samples = 1;           // n completions per problem
  std::vector<int64_t> ks = {1}; // pass@k reported for each k <= samples
  double temperature = 0.2;      // 0 = greedy (AR) / argmax (MDM)
  double top_p = 0.95;           // AR nucleus
  bool bf16 = false;             // sample under bf16 autocast (CUDA), as training computes
  int64_t max_new_tokens = 256;  // AR, BD3: at most; MDM: gen_length
  int64_t mdm_steps = 0;         // MDM, BD3: denoising steps in total; 0 = gen_length
  int64_t mdm_block_length = 32; // MDM (BD3 decodes in the model's blocks)
  std::string remasking = "low_confidence";
  uint64_t seed = 1234;
  int64_t jobs = 2;              // sandboxes run in parallel
  SandboxOptions sandbox;
};

struct CodegenSample {
  std::string completion;  // after EOS and stop-sequence truncation
  SandboxResult result;
};

struct CodegenProblemResult {
  std::string id;
  int64_t n = 0, correct = 0;
  std::vector<CodegenSample> samples;
};

struct CodegenResult {
  std::string name;
  std::vector<CodegenProblemResult> problems;
  std::vector<std::pair<int64_t, double>> pass_at_k;  // (k, mean pass@k)
  int64_t prompts_truncated = 0;
  int64_t gen_length = 0;         // new tokens per sample actually generated
  double generate_s = 0, execute_s = 0;
  std::string isolation;          // what the sandbox could apply
};

// Samples, executes and scores every problem of the task.
CodegenResult evaluate_codegen(Transformer& model, const Tokenizer& tok, const CodegenTask& task,
                               const CodegenOptions& opts, torch::Device device);

// Runs completions[i] for problems[i] (no model): the execution half of
// evaluate_codegen, `jobs` sandboxes at a time.
std::vector<SandboxResult> execute_completions(const std::vector<const CodegenProblem*>& problems,
                                               const std::vector<std::string>& completions,
                                               const SandboxOptions& opts, int64_t jobs);

struct SolutionNll {
  double nll = 0;          // nats per solution token, over all problems' scored tokens
  double nll_se = 0;       // Monte Carlo standard error (MDM; 0 for AR)
  int64_t tokens = 0;      // solution tokens scored
  int64_t problems = 0;    // problems with a canonical solution
  int64_t problems_truncated = 0;
  std::vector<double> per_problem;  // nats per token of each scored problem
};

// lo: the scorer's options (paradigm, mc_samples, mask_id, ...).
SolutionNll canonical_solution_nll(Transformer& model, const Tokenizer& tok, const CodegenTask& task,
                                   const LoglikOptions& lo, int64_t max_seq_len, torch::Device device);

// The scoring request for one problem: context = prompt, continuation =
// canonical solution, truncated as described above. *truncated: whether it was.
LoglikRequest make_solution_request(const Tokenizer& tok, const CodegenProblem& p, int64_t max_tokens,
                                    bool* truncated);

// lm-eval-style summary {"results": {name: {"pass@k": .., ...}}, "config": ..} and
// one JSON line per problem (id, n, correct, pass@k, samples with status/reason).
nlohmann::ordered_json codegen_results_json(const CodegenResult& r, const SolutionNll* nll,
                                            const nlohmann::ordered_json& config);
std::string codegen_problems_jsonl(const CodegenResult& r);

}  // namespace crossover
