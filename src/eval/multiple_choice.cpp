// multiple_choice.cpp — acc / acc_norm / ΔNLL over a task's items.
#include "crossover/eval/multiple_choice.h"

#include <torch/torch.h>

#include <cmath>

#include "crossover/dist/dist.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

// np.argmax: the first maximum.
size_t argmax_first(const std::vector<double>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

double mean_stderr(double p, double n) {
  return n > 1 ? std::sqrt(std::max(0.0, p * (1.0 - p)) / (n - 1.0)) : 0.0;
}

void score_chunk(Transformer& model, const Tokenizer& tok, const Task& task,
                 const std::vector<int64_t>& items, const TaskScoringOptions& opts,
                 torch::Device device, TaskTotals* totals) {
  const int64_t max_tokens = loglik_max_tokens(opts.loglik, opts.max_seq_len);
  std::vector<LoglikRequest> requests;
  for (int64_t i : items) {
    const TaskItem& item = task.items[i];
    for (size_t c = 0; c < item.choices.size(); ++c) {
      requests.push_back(make_loglik_request(tok, item.context, item.continuation(c), max_tokens));
      requests.back().item = i;
      requests.back().choice = static_cast<int64_t>(c);
    }
  }
  std::vector<std::vector<double>> samples;
  auto ll = compute_logliks(model, requests, opts.loglik, device, &samples);
  size_t k = 0;
  for (int64_t i : items) {
    const TaskItem& item = task.items[i];
    std::vector<ChoiceScore> scores;
    for (size_t c = 0; c < item.choices.size(); ++c, ++k)
      scores.push_back({ll[k], requests[k].continuation_tokens(), std::move(samples[k])});
    add_item_scores(item, scores, totals);
  }
}

// Standard error of the mean of a[i] − b[i] (a one-value vector is exact and
// pairs with every sample of the other); 0 when both are exact.
double paired_diff_stderr(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = std::max(a.size(), b.size());
  if (n < 2) return 0.0;
  auto at = [](const std::vector<double>& v, size_t i) { return v.size() == 1 ? v[0] : v[i]; };
  CROSSOVER_CHECK((a.size() == 1 || a.size() == n) && (b.size() == 1 || b.size() == n),
                  "choices of one item have ", a.size(), " and ", b.size(),
                  " Monte Carlo samples; hint: score them with the same mc_samples");
  double mean = 0;
  for (size_t i = 0; i < n; ++i) mean += at(a, i) - at(b, i);
  mean /= static_cast<double>(n);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += std::pow(at(a, i) - at(b, i) - mean, 2);
  return std::sqrt(ss / static_cast<double>(n - 1) / static_cast<double>(n));
}

}  // namespace

int64_t utf8_length(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count every byte but continuation bytes
  return n;
}

void add_item_scores(const TaskItem& item, const std::vector<ChoiceScore>& scores,
                     TaskTotals* totals) {
  CROSSOVER_CHECK(scores.size() == item.choices.size(), "item ", item.id, " has ",
                  item.choices.size(), " choices but ", scores.size(), " scores");
  std::vector<double> ll, ll_norm;
  double nll_wrong = 0;
  for (size_t c = 0; c < scores.size(); ++c) {
    ll.push_back(scores[c].loglik);
    ll_norm.push_back(scores[c].loglik /
                      static_cast<double>(std::max<int64_t>(1, utf8_length(item.choices[c]))));
    double nll = -scores[c].loglik / static_cast<double>(std::max<int64_t>(1, scores[c].tokens));
    if (static_cast<int64_t>(c) == item.gold) {
      totals->nll_correct += nll;
    } else {
      nll_wrong += nll;
    }
  }
  totals->nll_wrong += nll_wrong / static_cast<double>(scores.size() - 1);
  // The decision: gold against its strongest rival (first one on ties).
  size_t rival = item.gold == 0 ? 1 : 0;
  for (size_t c = 0; c < scores.size(); ++c)
    if (static_cast<int64_t>(c) != item.gold && ll[c] > ll[rival]) rival = c;
  const double margin = ll[item.gold] - ll[rival];
  totals->margin += margin;
  const auto& gold_s = scores[item.gold].samples;
  const auto& rival_s = scores[rival].samples;
  if (!gold_s.empty() && !rival_s.empty() &&
      std::abs(margin) < 2.0 * paired_diff_stderr(gold_s, rival_s))
    totals->mc_ambiguous += 1;
  totals->items += 1;
  totals->correct += static_cast<int64_t>(argmax_first(ll)) == item.gold ? 1 : 0;
  totals->correct_norm += static_cast<int64_t>(argmax_first(ll_norm)) == item.gold ? 1 : 0;
}

TaskResult task_result_from_totals(const std::string& name, const TaskTotals& t) {
  TaskResult r;
  r.name = name;
  r.n = static_cast<int64_t>(std::llround(t.items));
  if (t.items <= 0) return r;
  r.acc = t.correct / t.items;
  r.acc_norm = t.correct_norm / t.items;
  r.acc_se = mean_stderr(r.acc, t.items);
  r.acc_norm_se = mean_stderr(r.acc_norm, t.items);
  r.nll_correct = t.nll_correct / t.items;
  r.nll_wrong = t.nll_wrong / t.items;
  r.delta_nll = r.nll_wrong - r.nll_correct;
  r.margin = t.margin / t.items;
  r.mc_ambiguous = t.mc_ambiguous / t.items;
  return r;
}

TaskResult evaluate_task(Transformer& model, const Tokenizer& tok, const Task& task,
                         const TaskScoringOptions& opts, torch::Device device, Dist* dist) {
  const int64_t world = dist ? dist->world_size() : 1;
  const int64_t rank = dist ? dist->rank() : 0;
  TaskTotals totals;
  std::vector<int64_t> chunk;
  for (int64_t i = rank; i < static_cast<int64_t>(task.items.size()); i += world) {
    chunk.push_back(i);
    if (static_cast<int64_t>(chunk.size()) >= opts.items_per_chunk) {
      score_chunk(model, tok, task, chunk, opts, device, &totals);
      chunk.clear();
    }
  }
  if (!chunk.empty()) score_chunk(model, tok, task, chunk, opts, device, &totals);
  if (dist && world > 1) {
    auto v = torch::tensor({totals.items, totals.correct, totals.correct_norm, totals.nll_correct,
                            totals.nll_wrong, totals.margin, totals.mc_ambiguous},
                           torch::kFloat64);
    if (dist->device().is_cuda()) v = v.to(dist->device());
    dist->all_reduce_sum(v);
    v = v.cpu();
    totals = {v[0].item<double>(), v[1].item<double>(), v[2].item<double>(),
              v[3].item<double>(), v[4].item<double>(), v[5].item<double>(),
              v[6].item<double>()};
  }
  return task_result_from_totals(task.name, totals);
}

nlohmann::ordered_json lm_eval_results_json(const std::vector<TaskResult>& results,
                                            const nlohmann::ordered_json& config) {
  nlohmann::ordered_json j, res, n;
  for (const auto& r : results) {
    nlohmann::ordered_json t;
    t["alias"] = r.name;
    t["acc,none"] = r.acc;
    t["acc_stderr,none"] = r.acc_se;
    t["acc_norm,none"] = r.acc_norm;
    t["acc_norm_stderr,none"] = r.acc_norm_se;
    t["nll_correct,none"] = r.nll_correct;
    t["nll_wrong,none"] = r.nll_wrong;
    t["delta_nll,none"] = r.delta_nll;
    t["margin,none"] = r.margin;
    t["mc_ambiguous,none"] = r.mc_ambiguous;
    res[r.name] = t;
    n[r.name] = {{"original", r.n}, {"effective", r.n}};
  }
  j["results"] = res;
  j["n-samples"] = n;
  j["config"] = config;
  return j;
}

void add_task_metrics(nlohmann::ordered_json* row, const TaskResult& r) {
  const std::string p = "task/" + r.name + "/";
  (*row)[p + "acc"] = r.acc;
  (*row)[p + "acc_norm"] = r.acc_norm;
  (*row)[p + "acc_se"] = r.acc_se;
  (*row)[p + "nll_correct"] = r.nll_correct;
  (*row)[p + "nll_wrong"] = r.nll_wrong;
  (*row)[p + "delta_nll"] = r.delta_nll;
  (*row)[p + "margin"] = r.margin;
  (*row)[p + "mc_ambiguous"] = r.mc_ambiguous;
}

}  // namespace crossover
