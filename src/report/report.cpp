// report.cpp — grouping runs into AR-vs-DLM comparisons and their crossover
// statistics (the outputs are rendered by report_render.cpp).
#include "crossover/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "crossover/config/config_roles.h"
#include "crossover/config/sweep.h"
#include "crossover/model/model_size.h"
#include "crossover/objective/objective.h"
#include "crossover/util/check.h"
#include "crossover/util/stats.h"

namespace crossover {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The roles come from config/config_roles.h's one table, so a new config key
// groups by the role it is given there, never by a prefix rule here.
bool is_variant_key(const std::string& k) { return config_role(k) == ConfigRole::kVariant; }

// Keys that neither define the experiment nor the variant: cadence and runtime
// keys, and the replicate axis whose runs are averaged — run.seed and
// data.subset_seed (a figure that draws its unique data per seed ties the two,
// so the spread over replicates includes the data).
bool is_ignored_key(const std::string& k) {
  const ConfigRole r = config_role(k);
  return k == "run.seed" || k == "data.subset_seed" || r == ConfigRole::kCadence ||
         r == ConfigRole::kRuntime;
}

// One replicate of a variant: (run.seed, data.subset_seed).
std::pair<int64_t, int64_t> replicate_of(const Config& c) {
  return {c.run.seed, c.data.subset_seed};
}

bool glob_match(const std::string& pat, const std::string& s) {
  size_t p = 0, i = 0, star = std::string::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pat.size() && pat[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool parse_number(const std::string& s, double& d) {
  char* end = nullptr;
  d = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0';
}

// Orders value lists numerically where both values are numbers.
bool values_less(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    double x, y;
    if (parse_number(a[i], x) && parse_number(b[i], y)) {
      if (x != y) return x < y;
    } else if (a[i] != b[i]) {
      return a[i] < b[i];
    }
  }
  return a.size() < b.size();
}

// Keys (of `key_set`) whose values differ between the given settings maps.
std::vector<std::string> varying_keys(const std::vector<const std::map<std::string, std::string>*>& ms,
                                      const std::function<bool(const std::string&)>& want) {
  std::vector<std::string> out;
  if (ms.empty()) return out;
  for (const auto& kv : *ms[0]) {
    if (!want(kv.first)) continue;
    for (const auto* m : ms)
      if (m->at(kv.first) != kv.second) {
        out.push_back(kv.first);
        break;
      }
  }
  return out;
}

// The roles of one report: config_roles.h's, changed by ReportGrouping.
class KeyRoles {
 public:
  explicit KeyRoles(const ReportGrouping& g) {
    const std::vector<std::string> all = config_keys();
    auto add = [&](const std::vector<std::string>& from, std::set<std::string>& to, const char* flag) {
      for (const auto& k : from) {
        CROSSOVER_CHECK(std::find(all.begin(), all.end(), k) != all.end(), "report ", flag, " '", k,
                        "' is not a config key; hint: a dotted key such as train.lr");
        CROSSOVER_CHECK(k != "run.seed" && k != "data.subset_seed", "report ", flag, " ", k,
                        ": the replicate keys are always averaged over");
        to.insert(k);
      }
    };
    add(g.variant_keys, variant_, "--variant-key");
    add(g.ignore_keys, ignore_, "--ignore-key");
    for (const auto& k : variant_)
      CROSSOVER_CHECK(!ignore_.count(k), "report: ", k, " is both a --variant-key and an --ignore-key");
  }
  bool variant(const std::string& k) const { return variant_.count(k) || (!ignore_.count(k) && is_variant_key(k)); }
  bool ignored(const std::string& k) const { return ignore_.count(k) || (!variant_.count(k) && is_ignored_key(k)); }
  bool group(const std::string& k) const { return !variant(k) && !ignored(k); }

 private:
  std::set<std::string> variant_, ignore_;
};

// Keeps declaration order of config keys for readable labels.
std::vector<std::string> in_config_order(const RunData& run, std::vector<std::string> keys) {
  std::vector<std::string> out;
  for (const auto& kv : config_settings(run.config))
    if (std::find(keys.begin(), keys.end(), kv.first) != keys.end()) out.push_back(kv.first);
  return out;
}

MetricSummary summarize_metric(const Report& r, const ReportVariant& v, const std::string& metric) {
  MetricSummary s;
  bool lower = metric_lower_is_better(metric);
  std::vector<double> finals, bests;
  for (size_t i : v.runs) {
    auto it = r.runs[i].curves.find(metric);
    if (it == r.runs[i].curves.end() || it->second.empty()) continue;
    finals.push_back(it->second.y.back());
    bests.push_back(curve_best_so_far(it->second, lower).y.back());
  }
  s.n = static_cast<int>(finals.size());
  s.final_mean = mean_of(finals);
  s.final_std = std_of(finals);
  s.best_mean = mean_of(bests);
  s.best_std = std_of(bests);
  return s;
}

// Tokens -> epochs using the AR runs' logged epoch curve, else data.unique_tokens.
double tokens_to_epoch(const Report& r, const ReportVariant& v, double tokens) {
  for (size_t i : v.runs) {
    auto it = r.runs[i].curves.find("epoch");
    if (it != r.runs[i].curves.end() && it->second.x.size() >= 2 && it->second.y.back() > 0) {
      const Curve& c = it->second;
      if (tokens >= c.x.front() && tokens <= c.x.back()) return curve_at(c, tokens);
      // Outside the logged range: epochs are linear in tokens.
      return tokens * c.y.back() / c.x.back();
    }
  }
  int64_t u = r.runs[v.runs[0]].config.data.unique_tokens;
  return u > 0 ? tokens / u : -1;
}

CrossoverSummary compare(const Report& r, const ReportVariant& ar, const ReportVariant& dlm,
                         const std::string& metric, bool best) {
  bool lower = metric_lower_is_better(metric);
  auto curves_of = [&](const ReportVariant& v) {
    std::map<std::pair<int64_t, int64_t>, Curve> by_seed;
    for (size_t i : v.runs) {
      auto it = r.runs[i].curves.find(metric);
      if (it == r.runs[i].curves.end() || it->second.empty()) continue;
      by_seed[replicate_of(r.runs[i].config)] = best ? curve_best_so_far(it->second, lower) : it->second;
    }
    return by_seed;
  };
  auto a = curves_of(ar), d = curves_of(dlm);
  std::vector<Curve> av, dv;
  for (auto& kv : a) av.push_back(kv.second);
  for (auto& kv : d) dv.push_back(kv.second);
  CrossoverSummary s;
  if (!av.empty() && !dv.empty()) s.mean_curve = find_crossover(curve_mean(av), curve_mean(dv), lower);
  auto st = s.mean_curve.status;
  if (st == CrossoverStatus::kCrossover || st == CrossoverStatus::kFromStart)
    s.epoch = tokens_to_epoch(r, ar, s.mean_curve.tokens);
  std::vector<double> crossed;
  for (auto& kv : a) {
    auto it = d.find(kv.first);
    if (it == d.end()) continue;
    s.seed_n++;
    Crossover c = find_crossover(kv.second, it->second, lower);
    if (c.status == CrossoverStatus::kCrossover || c.status == CrossoverStatus::kFromStart)
      crossed.push_back(c.tokens);
  }
  s.seeds_crossed = static_cast<int>(crossed.size());
  s.seed_mean = mean_of(crossed);
  s.seed_std = std_of(crossed);
  return s;
}

}  // namespace

int64_t model_params_nonembed(const ModelConfig& m, bool active) {
  // Non-embedding sizes do not depend on the vocabulary.
  ModelSize z = model_size(m, 0);
  return static_cast<int64_t>(active ? z.active : z.total);
}

Report build_report(std::vector<RunData> runs, const std::vector<std::string>& metric_patterns,
                    const ReportGrouping& grouping) {
  const KeyRoles roles(grouping);
  auto is_variant = [&](const std::string& k) { return roles.variant(k); };
  auto want_group_key = [&](const std::string& k) { return roles.group(k); };
  Report r;
  r.runs = std::move(runs);
  CROSSOVER_CHECK(!r.runs.empty(), "no runs to report on");
  std::vector<std::string> patterns = metric_patterns;
  if (patterns.empty()) patterns = {"val_loss", "task/*/acc", "task/*/acc_norm"};
  // Metrics: patterns in order, then names sorted within a pattern.
  for (const auto& p : patterns) {
    std::set<std::string> found;
    for (const auto& run : r.runs)
      for (const auto& kv : run.curves)
        if (glob_match(p, kv.first)) found.insert(kv.first);
    for (const auto& m : found)
      if (std::find(r.metrics.begin(), r.metrics.end(), m) == r.metrics.end()) r.metrics.push_back(m);
  }

  // Group key: the values of every grouping key.
  std::vector<const std::map<std::string, std::string>*> all;
  for (const auto& run : r.runs) all.push_back(&run.settings);
  std::vector<std::string> group_keys = in_config_order(r.runs[0], varying_keys(all, want_group_key));
  std::vector<std::string> variant_keys =
      in_config_order(r.runs[0], varying_keys(all, is_variant));
  // The objective first in labels (kind-ar_dropout-0.1), then the noise settings.
  std::stable_partition(variant_keys.begin(), variant_keys.end(),
                        [](const std::string& k) { return str_starts_with(k, "objective."); });
  auto values = [](const RunData& run, const std::vector<std::string>& keys) {
    std::vector<std::string> v;
    for (const auto& k : keys) v.push_back(run.settings.at(k));
    return v;
  };
  auto pairs = [](const std::vector<std::string>& keys, const std::vector<std::string>& vals) {
    Pairs p;
    for (size_t i = 0; i < keys.size(); ++i) p.emplace_back(keys[i], vals[i]);
    return p;
  };
  // Every other grouping key must agree too: compare the full grouping settings.
  std::map<std::vector<std::string>, std::vector<size_t>> by_group;  // full key -> runs
  std::vector<std::vector<std::string>> group_order;
  for (size_t i = 0; i < r.runs.size(); ++i) {
    std::vector<std::string> full;
    for (const auto& kv : r.runs[i].settings)
      if (want_group_key(kv.first)) full.push_back(kv.first + "=" + kv.second);
    if (!by_group.count(full)) group_order.push_back(full);
    by_group[full].push_back(i);
  }
  for (const auto& full : group_order) {
    ReportGroup g;
    const auto& idx = by_group[full];
    const RunData& first = r.runs[idx[0]];
    g.varying = pairs(group_keys, values(first, group_keys));
    for (const auto& kv : first.settings)
      if (want_group_key(kv.first)) g.settings.emplace_back(kv.first, kv.second);
    g.label = g.varying.empty() ? "all" : sweep_run_name(g.varying);
    g.unique_tokens = first.config.data.unique_tokens;
    g.params_nonembed = model_params_nonembed(first.config.model, false);
    g.params_active = model_params_nonembed(first.config.model, true);
    std::map<std::vector<std::string>, size_t> vmap;
    for (size_t i : idx) {
      std::vector<std::string> vk;
      for (const auto& kv : r.runs[i].settings)
        if (is_variant(kv.first)) vk.push_back(kv.second);
      if (!vmap.count(vk)) {
        ReportVariant v;
        v.kind = choice_name(r.runs[i].config.objective.kind);
        v.dlm = objective_kind_is_diffusion(r.runs[i].config.objective.kind);
        for (const auto& kv : config_settings(r.runs[i].config))
          if (is_variant(kv.first)) v.settings.push_back(kv);
        Pairs lab = pairs(variant_keys, values(r.runs[i], variant_keys));
        v.label = lab.empty() ? str_cat("kind-", v.kind) : sweep_run_name(lab);
        vmap[vk] = g.variants.size();
        g.variants.push_back(v);
      }
      g.variants[vmap[vk]].runs.push_back(i);
    }
    for (auto& v : g.variants) {
      std::sort(v.runs.begin(), v.runs.end(), [&](size_t a, size_t b) {
        return replicate_of(r.runs[a].config) < replicate_of(r.runs[b].config);
      });
      for (const auto& m : r.metrics) v.metrics.push_back(summarize_metric(r, v, m));
    }
    // AR family first, then by the variant keys' values.
    std::stable_sort(g.variants.begin(), g.variants.end(), [&](const ReportVariant& a, const ReportVariant& b) {
      if (a.dlm != b.dlm) return !a.dlm;
      return values_less(values(r.runs[a.runs[0]], variant_keys), values(r.runs[b.runs[0]], variant_keys));
    });
    for (size_t a = 0; a < g.variants.size(); ++a)
      for (size_t d = 0; d < g.variants.size(); ++d) {
        if (g.variants[a].dlm || !g.variants[d].dlm) continue;
        for (size_t m = 0; m < r.metrics.size(); ++m) {
          if (g.variants[a].metrics[m].n == 0 || g.variants[d].metrics[m].n == 0) continue;
          ReportComparison c;
          c.ar = a;
          c.dlm = d;
          c.metric = m;
          c.current = compare(r, g.variants[a], g.variants[d], r.metrics[m], false);
          c.best = compare(r, g.variants[a], g.variants[d], r.metrics[m], true);
          g.comparisons.push_back(c);
        }
      }
    r.groups.push_back(g);
  }
  std::stable_sort(r.groups.begin(), r.groups.end(), [&](const ReportGroup& a, const ReportGroup& b) {
    std::vector<std::string> va, vb;
    for (const auto& kv : a.varying) va.push_back(kv.second);
    for (const auto& kv : b.varying) vb.push_back(kv.second);
    return values_less(va, vb);
  });
  return r;
}

}  // namespace crossover
