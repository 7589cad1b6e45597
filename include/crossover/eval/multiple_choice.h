// multiple_choice.h — scoring a multiple-choice task (eval/task.h) the way
// lm-evaluation-harness does, plus the ΔNLL analysis of experiment 8.
//
// Per item, with loglik_c = log p(delimiter + choice_c | context):
//   acc       [argmax_c loglik_c == gold]                 (first index on ties, as np.argmax)
//   acc_norm  [argmax_c loglik_c / chars(choice_c) == gold]  (Unicode characters of the
//             choice without the delimiter, as lm-eval's len(choice))
// Task level: means over items; standard errors are lm-eval's mean_stderr,
// sqrt(p(1−p)/(n−1)) for a 0/1 metric.
// ΔNLL (experiment 8): nll_c = −loglik_c / tokens_c, the continuation's NLL per
// token (so options of different lengths compare). nll_correct = mean over items
// of the gold option's nll; nll_wrong = mean over items of the mean nll of the
// other options; delta_nll = nll_wrong − nll_correct (higher = the model
// separates the answer more). Accuracy depends on this gap, not on the absolute
// NLL, which is why it can keep rising while validation loss climbs.
// margin: mean over items of loglik_gold − max_{c≠gold} loglik_c, the summed
// (not per-token) log-likelihood gap that acc actually thresholds at 0.
// mc_ambiguous (MDM): the fraction of items whose acc decision lies within two
// Monte Carlo standard errors, |margin_item| < 2·se, where se is the standard
// error of the paired per-sample differences (gold − best wrong) — paired
// because the choices of an item share their draws (loglikelihood.h). The
// per-sample spread ignores the stratification's variance reduction, so the
// fraction errs high. 0 for AR (exact scores).
// Monte Carlo cost (eval/adaptive_mc.h; both modes): per item, samples used =
// the most draws of any of its choices (exact choices: 1); mc_samples_mean /
// p50 / p95 over items (nearest rank), forward_passes = Σ over every choice of
// its rows scored (one row = one sequence through the model), mc_at_cap = the
// fraction of items whose acc or acc_norm decision was still unresolved at
// eval.task_mc_z when the samples ran out (adaptive: stopped at the cap).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "crossover/data/tokenizer.h"
#include "crossover/eval/adaptive_mc.h"
#include "crossover/eval/loglikelihood.h"
#include "crossover/eval/task.h"
#include "crossover/model/transformer.h"

namespace crossover {

class Dist;

struct ChoiceScore {
  double loglik = 0;   // log p(continuation | context), nats summed over its tokens
  int64_t tokens = 1;  // continuation tokens scored
  std::vector<double> samples = {};  // MDM: per-sample estimates (mean = loglik); empty/one: exact
};

// Sums over items, so ranks can all-reduce them.
struct TaskTotals {
  double items = 0, correct = 0, correct_norm = 0;
  double nll_correct = 0, nll_wrong = 0;  // Σ per-item per-token NLLs
  double margin = 0;                      // Σ per-item loglik_gold − max wrong loglik
  double mc_ambiguous = 0;                // items with |margin| < 2 Monte Carlo standard errors
  double forward_passes = 0;              // Σ rows scored (every choice, every sample)
  double mc_at_cap = 0;                   // items unresolved when their samples ran out
  std::vector<double> samples_hist = {};  // [samples used] items (length cap + 1)
};

// One item's scores, for per-item comparisons (eval --out's .items.jsonl).
struct ItemScore {
  int64_t index = 0;            // item index in the task file
  std::vector<double> loglik;   // per choice
  int64_t pred = 0, pred_norm = 0;  // acc's and acc_norm's argmax
  int64_t samples = 1;          // Monte Carlo samples used (the most of any choice)
  bool resolved = true;         // both decisions cleared eval.task_mc_z
};

struct TaskResult {
  std::string name;
  int64_t n = 0;
  double acc = 0, acc_se = 0, acc_norm = 0, acc_norm_se = 0;
  double nll_correct = 0, nll_wrong = 0, delta_nll = 0;
  double margin = 0;        // mean summed-loglik margin, gold − best wrong (nats)
  double mc_ambiguous = 0;  // fraction of items decided within 2 MC standard errors
  double mc_samples_mean = 0, mc_samples_p50 = 0, mc_samples_p95 = 0;  // samples used per item
  double mc_at_cap = 0;        // fraction of items unresolved at the cap (adaptive_mc.h)
  int64_t forward_passes = 0;  // rows scored over the task
  std::vector<ItemScore> items = {};  // with TaskScoringOptions::keep_items (this rank's items)
};

// Adds one item (its scores in choice order) to the totals.
void add_item_scores(const TaskItem& item, const std::vector<ChoiceScore>& scores,
                     TaskTotals* totals);
// Adds one item's Monte Carlo cost (samples used, rows, resolution) to the totals.
void add_item_mc(const McItemState& state, int64_t cap, TaskTotals* totals);
TaskResult task_result_from_totals(const std::string& name, const TaskTotals& totals);
// Characters (Unicode code points) of a UTF-8 string, as Python's len(str).
int64_t utf8_length(const std::string& s);

struct TaskScoringOptions {
  LoglikOptions loglik;          // loglik.mc_samples: fixed N or the adaptive cap
  AdaptiveMcOptions mc;          // fixed | adaptive rounds (eval/adaptive_mc.h)
  int64_t max_seq_len = 256;     // model.max_seq_len
  int64_t items_per_chunk = 64;  // items tokenised and scored together
  bool keep_items = false;       // fill TaskResult::items
};

// Scores every item of the task. With dist (world > 1) rank r scores items
// r, r+W, ... and the totals are all-reduced: every rank returns the result.
TaskResult evaluate_task(Transformer& model, const Tokenizer& tok, const Task& task,
                         const TaskScoringOptions& opts, torch::Device device,
                         Dist* dist = nullptr);

// lm-eval's results layout:
//   {"results": {task: {"alias": task, "acc,none": x, "acc_stderr,none": s,
//    "acc_norm,none": x, "acc_norm_stderr,none": s, "nll_correct,none": ..,
//    "nll_wrong,none": .., "delta_nll,none": .., "margin,none": ..,
//    "mc_ambiguous,none": .., "mc_samples_mean,none": .., "mc_samples_p50,none": ..,
//    "mc_samples_p95,none": .., "mc_at_cap,none": .., "forward_passes,none": ..}}, "n-samples": {task:
//    {"original": n, "effective": n}}, "config": config}
nlohmann::ordered_json lm_eval_results_json(const std::vector<TaskResult>& results,
                                            const nlohmann::ordered_json& config);

// Adds task/<name>/{acc, acc_norm, acc_se, nll_correct, nll_wrong, delta_nll,
// margin, mc_ambiguous}
// to a metrics row (docs/formats.md).
void add_task_metrics(nlohmann::ordered_json* row, const TaskResult& r);

}  // namespace crossover
