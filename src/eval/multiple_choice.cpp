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
  const int64_t max_tokens = opts.loglik.diffusion ? opts.max_seq_len : opts.max_seq_len + 1;
  std::vector<LoglikRequest> requests;
  for (int64_t i : items) {
    const TaskItem& item = task.items[i];
    for (size_t c = 0; c < item.choices.size(); ++c) {
      requests.push_back(make_loglik_request(tok, item.context, item.continuation(c), max_tokens));
      requests.back().item = i;
      requests.back().choice = static_cast<int64_t>(c);
    }
  }
  auto ll = compute_logliks(model, requests, opts.loglik, device);
  size_t k = 0;
  for (int64_t i : items) {
    const TaskItem& item = task.items[i];
    std::vector<ChoiceScore> scores;
    for (size_t c = 0; c < item.choices.size(); ++c, ++k)
      scores.push_back({ll[k], requests[k].continuation_tokens()});
    add_item_scores(item, scores, totals);
  }
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
                            totals.nll_wrong}, torch::kFloat64);
    if (dist->device().is_cuda()) v = v.to(dist->device());
    dist->all_reduce_sum(v);
    v = v.cpu();
    totals = {v[0].item<double>(), v[1].item<double>(), v[2].item<double>(),
              v[3].item<double>(), v[4].item<double>()};
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
}

}  // namespace crossover
