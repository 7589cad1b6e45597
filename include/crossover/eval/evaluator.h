// evaluator.h — one evaluation of a model, as a component (torchtitan's
// Validator is the model): it owns what is scored — the fixed validation
// batches and their bytes per token, the multiple-choice tasks, the code tasks,
// the tokenizer — and, in training, the cadence (eval/eval_schedule.h). The
// trainer asks should_evaluate(step) and calls evaluate(); `crossover eval`
// builds the same component from a checkpoint's config and its command-line
// overrides, so validation and task scoring are set up in one place.
//
// evaluate() runs, in order: validation loss (every rank scores its batches,
// sums all-reduced), each task (items split over ranks, all-reduced), each code
// task's canonical-solution NLL (every rank, no collectives), and — when
// sampling options are given — each code task's sampled-and-executed pass@k on
// rank 0 while the other ranks wait at a barrier. Every rank returns the same
// validation and task numbers; code sampling results exist on rank 0 only.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crossover/config/config.h"
#include "crossover/data/dataset.h"
#include "crossover/data/tokenizer.h"
#include "crossover/eval/codegen.h"
#include "crossover/eval/codegen_task.h"
#include "crossover/eval/eval_options.h"
#include "crossover/eval/eval_schedule.h"
#include "crossover/eval/multiple_choice.h"
#include "crossover/eval/task.h"
#include "crossover/eval/validation.h"
#include "crossover/io/metrics.h"

namespace crossover {

class Dist;

// What one evaluation scores, read once when the Evaluator is built.
struct EvaluatorSources {
  bool validation = true;       // false: no validation loss (crossover eval --no-val)
  int64_t seq_len = 0;          // data.seq_len: T of each (T+1)-token window
  int64_t val_tokens = 0;       // eval.val_tokens (0 = the whole split)
  int64_t val_batch_size = 16;  // eval.val_batch_size
  bool val_spread = false;      // eval.val_windows == spread
  std::vector<std::string> tasks;    // multiple-choice JSONL files (eval.tasks)
  int64_t task_limit = 0;            // items per task (0 = all)
  std::vector<std::string> codegen;  // code-task JSONL files (eval.codegen)
  int64_t codegen_limit = 0;         // problems per code task (0 = all)
};

// A run's eval.* and data.seq_len as sources.
EvaluatorSources evaluator_sources(const Config& cfg);

// How to score: the paradigm's estimators (make_eval_options) and, when set,
// the options that sample and execute completions of the code tasks.
struct EvalScoring {
  EvalOptions opts;  // opts.val.bytes_per_token is the Evaluator's
  std::optional<CodegenOptions> code_sampling;
};

struct CodegenEval {
  std::string name;
  SolutionNll nll;
  double nll_s = 0;
  std::optional<CodegenResult> sampled;  // rank 0, with EvalScoring::code_sampling
};

struct EvalResult {
  std::optional<ValidationResult> val;  // absent without validation
  double val_s = 0;
  std::vector<TaskResult> tasks;
  std::vector<double> task_s;           // seconds per task
  std::vector<int64_t> task_choices;    // choices scored per task
  std::vector<CodegenEval> codegen;
  double seconds = 0;                   // the whole evaluation
};

// Adds val_loss, val_loss_se, val_bpb, val_tokens, task/<name>/..., codegen/<name>/{nll,
// nll_se, pass@1} and eval_s to a metrics row (docs/formats.md).
void add_eval_metrics(const EvalResult& r, MetricRow* row);
// "val_loss 2.71 ± 0.01 nats/token, 3.9 bits/byte | task acc .. | code solution NLL ..".
std::string eval_summary(const EvalResult& r);

class Evaluator {
 public:
  // data: the prepared dataset holding the validation split (may be null when
  // sources.validation is false). Loads the validation batches and every task
  // file now, so a missing file or split fails before any training or scoring.
  // schedule: the training cadence (absent for a one-off evaluation).
  Evaluator(const EvaluatorSources& sources, const PreparedDataset* data,
            std::shared_ptr<const Tokenizer> tokenizer,
            std::optional<EvalSchedule> schedule = std::nullopt);

  // The cadence (throws without a schedule).
  bool should_evaluate(int64_t step) const;
  bool epoch_end(int64_t step) const;
  double epoch_at(int64_t step) const;

  EvalResult evaluate(Transformer& model, const EvalScoring& how, torch::Device device,
                      Dist* dist = nullptr) const;

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  bool has_validation() const { return sources_.validation; }
  int64_t validation_windows() const;
  double bytes_per_token() const { return bytes_per_token_; }
  std::vector<std::string> task_names() const;
  std::vector<std::string> codegen_names() const;
  bool has_codegen() const { return !codegen_.empty(); }

 private:
  const EvalSchedule& schedule() const;

  EvaluatorSources sources_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::optional<EvalSchedule> schedule_;
  std::vector<torch::Tensor> val_batches_;  // (b, T+1) int64 each
  double bytes_per_token_ = 1.0;
  std::vector<Task> tasks_;
  std::vector<CodegenTask> codegen_;
};

}  // namespace crossover
