// multiple_choice.cpp — acc / acc_norm / ΔNLL over a task's items.
#include "crossover/eval/multiple_choice.h"

#include <torch/torch.h>

#include <cmath>

#include "crossover/distributed/dist.h"
#include "crossover/eval/adaptive_mc.h"
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

// The requests of one item, choice order.
std::vector<LoglikRequest> item_requests(const Tokenizer& tok, const TaskItem& item, int64_t i,
                                         int64_t max_tokens) {
  std::vector<LoglikRequest> out;
  for (size_t c = 0; c < item.choices.size(); ++c) {
    out.push_back(make_loglik_request(tok, item.context, item.continuation(c), max_tokens));
    out.back().item = i;
    out.back().choice = static_cast<int64_t>(c);
  }
  return out;
}

// Scores the chunk's items in Monte Carlo rounds (adaptive_mc.h; fixed mode is
// one round of loglik.mc_samples, exactly compute_logliks's draws).
void score_chunk(Transformer& model, const Tokenizer& tok, const Task& task,
                 const std::vector<int64_t>& items, const TaskScoringOptions& opts,
                 torch::Device device, TaskTotals* totals, std::vector<ItemScore>* records) {
  const int64_t max_tokens = loglik_max_tokens(opts.loglik, opts.max_seq_len);
  const int64_t cap = opts.loglik.mc_samples;
  std::vector<std::vector<LoglikRequest>> requests;  // [chunk item][choice]
  std::vector<McItemState> states(items.size());
  for (size_t k = 0; k < items.size(); ++k) {
    const TaskItem& item = task.items[items[k]];
    requests.push_back(item_requests(tok, item, items[k], max_tokens));
    for (const auto& choice : item.choices)
      states[k].norm.push_back(static_cast<double>(std::max<int64_t>(1, utf8_length(choice))));
  }
  auto sampler = [&](int64_t round, const std::vector<size_t>& open) {
    LoglikOptions lo = opts.loglik;
    lo.mc_samples = mc_round_samples(opts.mc, cap, round);
    lo.seed = mc_round_seed(opts.loglik.seed, round);
    // Exact choices (AR, one-token MDM answers) are scored in round 0 only.
    std::vector<std::pair<size_t, size_t>> where;  // (open index, choice) of each request
    std::vector<LoglikRequest> batch;
    for (size_t j = 0; j < open.size(); ++j)
      for (size_t c = 0; c < requests[open[j]].size(); ++c)
        if (round == 0 || (lo.paradigm.is_diffusion() && requests[open[j]][c].continuation_tokens() > 1)) {
          batch.push_back(requests[open[j]][c]);
          where.emplace_back(j, c);
        }
    std::vector<std::vector<double>> samples;
    compute_logliks(model, batch, lo, device, &samples);
    std::vector<std::vector<std::vector<double>>> drawn(open.size());
    for (size_t j = 0; j < open.size(); ++j) drawn[j].resize(requests[open[j]].size());
    for (size_t q = 0; q < batch.size(); ++q)
      drawn[where[q].first][where[q].second] = std::move(samples[q]);
    return drawn;
  };
  run_adaptive_mc(&states, opts.mc, cap, sampler);
  for (size_t k = 0; k < items.size(); ++k) {
    const TaskItem& item = task.items[items[k]];
    std::vector<ChoiceScore> scores;
    for (size_t c = 0; c < item.choices.size(); ++c) {
      const auto& s = states[k].samples[c];
      double sum = 0;
      for (double v : s) sum += v;
      scores.push_back({sum / static_cast<double>(std::max<size_t>(s.size(), 1)),
                        requests[k][c].continuation_tokens(), s});
    }
    add_item_scores(item, scores, totals);
    add_item_mc(states[k], cap, totals);
    if (records) {
      ItemScore rec;
      rec.index = items[k];
      std::vector<double> norm;
      for (size_t c = 0; c < scores.size(); ++c) {
        rec.loglik.push_back(scores[c].loglik);
        norm.push_back(scores[c].loglik / states[k].norm[c]);
      }
      rec.pred = static_cast<int64_t>(argmax_first(rec.loglik));
      rec.pred_norm = static_cast<int64_t>(argmax_first(norm));
      rec.samples = mc_item_samples(states[k]);
      rec.resolved = states[k].resolved;
      records->push_back(std::move(rec));
    }
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

void add_item_mc(const McItemState& state, int64_t cap, TaskTotals* totals) {
  const int64_t n = mc_item_samples(state);
  CROSSOVER_CHECK(n >= 1 && n <= cap, "an item used ", n, " Monte Carlo samples with a cap of ", cap);
  if (static_cast<int64_t>(totals->samples_hist.size()) < cap + 1) totals->samples_hist.resize(cap + 1, 0.0);
  totals->samples_hist[n] += 1;
  for (const auto& s : state.samples) totals->forward_passes += static_cast<double>(s.size());
  totals->mc_at_cap += state.resolved ? 0 : 1;
}

namespace {
// Nearest-rank percentile of a histogram over sample counts: the smallest
// count with at least q of the items at or below it.
double hist_percentile(const std::vector<double>& hist, double items, double q) {
  double seen = 0;
  for (size_t s = 0; s < hist.size(); ++s) {
    seen += hist[s];
    if (seen > 0 && seen >= q * items - 1e-9) return static_cast<double>(s);
  }
  return 0;
}
}  // namespace

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
  double hist_items = 0, hist_sum = 0;
  for (size_t s = 0; s < t.samples_hist.size(); ++s) {
    hist_items += t.samples_hist[s];
    hist_sum += t.samples_hist[s] * static_cast<double>(s);
  }
  if (hist_items > 0) {
    r.mc_samples_mean = hist_sum / hist_items;
    r.mc_samples_p50 = hist_percentile(t.samples_hist, hist_items, 0.50);
    r.mc_samples_p95 = hist_percentile(t.samples_hist, hist_items, 0.95);
    r.mc_at_cap = t.mc_at_cap / hist_items;
  }
  r.forward_passes = static_cast<int64_t>(std::llround(t.forward_passes));
  return r;
}

TaskResult evaluate_task(Transformer& model, const Tokenizer& tok, const Task& task,
                         const TaskScoringOptions& opts, torch::Device device, Dist* dist) {
  const int64_t world = dist ? dist->world_size() : 1;
  const int64_t rank = dist ? dist->rank() : 0;
  TaskTotals totals;
  std::vector<ItemScore> records;
  std::vector<int64_t> chunk;
  for (int64_t i = rank; i < static_cast<int64_t>(task.items.size()); i += world) {
    chunk.push_back(i);
    if (static_cast<int64_t>(chunk.size()) >= opts.items_per_chunk) {
      score_chunk(model, tok, task, chunk, opts, device, &totals, opts.keep_items ? &records : nullptr);
      chunk.clear();
    }
  }
  if (!chunk.empty())
    score_chunk(model, tok, task, chunk, opts, device, &totals, opts.keep_items ? &records : nullptr);
  if (dist && world > 1) {
    totals.samples_hist.resize(opts.loglik.mc_samples + 1, 0.0);  // the same length on every rank
    std::vector<double> flat = {totals.items,       totals.correct,        totals.correct_norm,
                                totals.nll_correct,  totals.nll_wrong,      totals.margin,
                                totals.mc_ambiguous, totals.forward_passes, totals.mc_at_cap};
    const size_t n_fixed = flat.size();
    flat.insert(flat.end(), totals.samples_hist.begin(), totals.samples_hist.end());
    auto v = torch::tensor(flat, torch::kFloat64);
    if (dist->device().is_cuda()) v = v.to(dist->device());
    dist->all_reduce_sum(v);
    v = v.cpu().contiguous();
    const double* p = v.data_ptr<double>();
    totals.items = p[0], totals.correct = p[1], totals.correct_norm = p[2];
    totals.nll_correct = p[3], totals.nll_wrong = p[4], totals.margin = p[5];
    totals.mc_ambiguous = p[6], totals.forward_passes = p[7], totals.mc_at_cap = p[8];
    totals.samples_hist.assign(p + n_fixed, p + flat.size());
  }
  TaskResult r = task_result_from_totals(task.name, totals);
  r.items = std::move(records);
  return r;
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
    t["mc_samples_mean,none"] = r.mc_samples_mean;
    t["mc_samples_p50,none"] = r.mc_samples_p50;
    t["mc_samples_p95,none"] = r.mc_samples_p95;
    t["mc_at_cap,none"] = r.mc_at_cap;
    t["forward_passes,none"] = r.forward_passes;
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
