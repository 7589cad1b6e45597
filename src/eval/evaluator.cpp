// evaluator.cpp — the evaluation component (eval/evaluator.h): set-up of the
// validation batches and task files once, and one evaluate() for the trainer
// and `crossover eval`.
#include "crossover/eval/evaluator.h"

#include "crossover/data/validation.h"
#include "crossover/distributed/dist.h"
#include "crossover/util/check.h"
#include "crossover/util/stopwatch.h"
#include "crossover/util/strings.h"

namespace crossover {

EvaluatorSources evaluator_sources(const Config& cfg) {
  EvaluatorSources s;
  s.seq_len = cfg.data.seq_len;
  s.val_tokens = cfg.eval.val_tokens;
  s.val_batch_size = cfg.eval.val_batch_size;
  s.val_spread = cfg.eval.val_windows == ValWindows::kSpread;
  s.tasks = cfg.eval.tasks;
  s.task_limit = cfg.eval.task_limit;
  s.codegen = cfg.eval.codegen;
  s.codegen_limit = cfg.eval.codegen_limit;
  return s;
}

Evaluator::Evaluator(const EvaluatorSources& sources, const PreparedDataset* data,
                     std::shared_ptr<const Tokenizer> tokenizer, std::optional<EvalSchedule> schedule)
    : sources_(sources), tokenizer_(std::move(tokenizer)), schedule_(std::move(schedule)) {
  CROSSOVER_CHECK(tokenizer_ != nullptr, "the evaluator needs a tokenizer");
  if (sources_.validation) {
    CROSSOVER_CHECK(data != nullptr, "validation needs the prepared dataset",
                    "; hint: point --data (or data.path) at it, or skip validation");
    val_batches_ = validation_batches(*data, sources_.seq_len, sources_.val_tokens,
                                      sources_.val_batch_size, 0, 1, sources_.val_spread);
    bytes_per_token_ = validation_bytes_per_token(*tokenizer_, val_batches_);
  }
  for (const auto& path : sources_.tasks) tasks_.push_back(load_task(path, sources_.task_limit));
  for (const auto& path : sources_.codegen)
    codegen_.push_back(load_codegen_task(path, sources_.codegen_limit));
}

const EvalSchedule& Evaluator::schedule() const {
  CROSSOVER_CHECK(schedule_.has_value(), "this evaluator has no training cadence");
  return *schedule_;
}
bool Evaluator::should_evaluate(int64_t step) const { return schedule().should_evaluate(step); }
bool Evaluator::epoch_end(int64_t step) const { return schedule().epoch_end(step); }
double Evaluator::epoch_at(int64_t step) const { return schedule().epoch_at(step); }

int64_t Evaluator::validation_windows() const {
  int64_t n = 0;
  for (const auto& b : val_batches_) n += b.size(0);
  return n;
}

std::vector<std::string> Evaluator::task_names() const {
  std::vector<std::string> names;
  for (const auto& t : tasks_) names.push_back(t.name);
  return names;
}

std::vector<std::string> Evaluator::codegen_names() const {
  std::vector<std::string> names;
  for (const auto& t : codegen_) names.push_back(t.name);
  return names;
}

EvalResult Evaluator::evaluate(Transformer& model, const EvalScoring& how, torch::Device device,
                               Dist* dist) const {
  Stopwatch total;
  EvalResult r;
  if (sources_.validation) {
    ValidationOptions vo = how.opts.val;
    vo.bytes_per_token = bytes_per_token_;
    Stopwatch t;
    r.val = evaluate_validation(model, val_batches_, vo, device, dist);
    r.val_s = t.seconds();
  }
  for (const auto& task : tasks_) {
    Stopwatch t;
    r.tasks.push_back(evaluate_task(model, *tokenizer_, task, how.opts.tasks, device, dist));
    r.task_s.push_back(t.seconds());
    int64_t choices = 0;
    for (const auto& item : task.items) choices += static_cast<int64_t>(item.choices.size());
    r.task_choices.push_back(choices);
  }
  const bool main = dist == nullptr || dist->is_main();
  const bool wait = dist != nullptr && dist->enabled();
  for (const auto& task : codegen_) {
    CodegenEval c;
    c.name = task.name;
    Stopwatch t;
    c.nll = canonical_solution_nll(model, *tokenizer_, task, how.opts.tasks.loglik,
                                   model->options.max_seq_len(), device);
    c.nll_s = t.seconds();
    if (how.code_sampling) {
      // Sampling and the sandboxes run on rank 0; the others wait for it here.
      if (main) c.sampled = evaluate_codegen(model, *tokenizer_, task, *how.code_sampling, device);
      if (wait) dist->barrier();
    }
    r.codegen.push_back(std::move(c));
  }
  r.seconds = total.seconds();
  return r;
}

void add_eval_metrics(const EvalResult& r, MetricRow* row) {
  if (r.val) {
    (*row)["val_loss"] = r.val->loss;
    (*row)["val_loss_se"] = r.val->loss_se;
    (*row)["val_bpb"] = r.val->bpb;
    (*row)["val_tokens"] = r.val->tokens;
  }
  for (const auto& t : r.tasks) add_task_metrics(row, t);
  for (const auto& c : r.codegen) {
    const std::string p = "codegen/" + c.name + "/";
    (*row)[p + "nll"] = c.nll.nll;
    (*row)[p + "nll_se"] = c.nll.nll_se;
    if (c.sampled && !c.sampled->pass_at_k.empty())
      (*row)[p + "pass@1"] = c.sampled->pass_at_k.front().second;
  }
  (*row)["eval_s"] = r.seconds;
}

std::string eval_summary(const EvalResult& r) {
  std::string line;
  if (r.val)
    line = str_cat("val_loss ", r.val->loss, r.val->loss_se > 0 ? str_cat(" ± ", r.val->loss_se) : "",
                   " nats/token, ", r.val->bpb, " bits/byte");
  for (const auto& t : r.tasks)
    line += str_cat(" | ", t.name, " acc ", t.acc, " acc_norm ", t.acc_norm, " ΔNLL ", t.delta_nll);
  for (const auto& c : r.codegen) {
    line += str_cat(" | ", c.name, " solution NLL ", c.nll.nll);
    if (c.sampled && !c.sampled->pass_at_k.empty())
      line += str_cat(" pass@1 ", c.sampled->pass_at_k.front().second);
  }
  return line;
}

}  // namespace crossover
