// Grouping runs into AR-vs-DLM comparisons, crossover statistics, and the
// three outputs (table, CSV, JSON).
#include "crossover/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "crossover/config/config_roles.h"
#include "crossover/config/sweep.h"
#include "crossover/model/model_size.h"
#include "crossover/objective/objective.h"
#include "crossover/util/check.h"

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

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

double std_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double m = mean_of(v), ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / (v.size() - 1));
}

std::string num(double v, const char* f = "%.6g") {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Keys (of `key_set`) whose values differ between the given settings maps.
std::vector<std::string> varying_keys(const std::vector<const std::map<std::string, std::string>*>& ms,
                                      bool (*want)(const std::string&)) {
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

bool want_group_key(const std::string& k) { return !is_variant_key(k) && !is_ignored_key(k); }

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

std::string run_names(const Report& r, const ReportVariant& v) {
  std::vector<std::string> names;
  for (size_t i : v.runs) names.push_back(r.runs[i].config.run.name);
  return str_join(names, ";");
}

}  // namespace

int64_t model_params_nonembed(const ModelConfig& m, bool active) {
  // Non-embedding sizes do not depend on the vocabulary.
  ModelSize z = model_size(m, 0);
  return static_cast<int64_t>(active ? z.active : z.total);
}

Report build_report(std::vector<RunData> runs, const std::vector<std::string>& metric_patterns) {
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
      in_config_order(r.runs[0], varying_keys(all, [](const std::string& k) { return is_variant_key(k); }));
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
    g.label = g.varying.empty() ? "all" : sweep_run_name(g.varying);
    g.unique_tokens = first.config.data.unique_tokens;
    g.params_nonembed = model_params_nonembed(first.config.model, false);
    g.params_active = model_params_nonembed(first.config.model, true);
    std::map<std::vector<std::string>, size_t> vmap;
    for (size_t i : idx) {
      std::vector<std::string> vk;
      for (const auto& kv : r.runs[i].settings)
        if (is_variant_key(kv.first)) vk.push_back(kv.second);
      if (!vmap.count(vk)) {
        ReportVariant v;
        v.kind = r.runs[i].config.objective.kind;
        v.dlm = objective_kind_is_diffusion(v.kind);
        for (const auto& kv : config_settings(r.runs[i].config))
          if (is_variant_key(kv.first)) v.settings.push_back(kv);
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

namespace {

std::string describe(const CrossoverSummary& s) {
  const Crossover& c = s.mean_curve;
  std::string ep = s.epoch >= 0 ? str_cat(" (ep ", num(s.epoch, "%.3g"), ")") : "";
  // Seeds compared one to one: how many crossed, and the spread of where.
  std::string seeds;
  if (s.seed_n > 1)
    seeds = str_cat(" [", s.seeds_crossed, " of ", s.seed_n, " seeds",
                    s.seeds_crossed > 1 ? str_cat(", sd ", human_count(s.seed_std)) : "", "]");
  switch (c.status) {
    case CrossoverStatus::kCrossover: return human_count(c.tokens) + ep + seeds;
    case CrossoverStatus::kFromStart: return "DLM better from start" + seeds;
    case CrossoverStatus::kNone: return "none within " + human_count(c.range_end) + seeds;
    case CrossoverStatus::kNoOverlap: return "no common tokens";
  }
  return "";
}

std::string pad(std::string s, size_t w) {
  if (s.size() < w) s.resize(w, ' ');
  return s;
}

}  // namespace

std::string report_table(const Report& r) {
  size_t wg = 5, wa = 2, wd = 3, wm = 6;
  for (const auto& g : r.groups)
    for (const auto& c : g.comparisons) {
      wg = std::max(wg, g.label.size());
      wa = std::max(wa, g.variants[c.ar].label.size());
      wd = std::max(wd, g.variants[c.dlm].label.size());
      wm = std::max(wm, r.metrics[c.metric].size());
    }
  std::string out = str_cat(pad("group", wg), "  ", pad("ar", wa), "  ", pad("dlm", wd), "  ",
                            pad("metric", wm), "  ", pad("current-value crossover", 34), "  ",
                            "best-so-far crossover\n");
  int n = 0;
  for (const auto& g : r.groups)
    for (const auto& c : g.comparisons) {
      out += str_cat(pad(g.label, wg), "  ", pad(g.variants[c.ar].label, wa), "  ",
                     pad(g.variants[c.dlm].label, wd), "  ", pad(r.metrics[c.metric], wm), "  ",
                     pad(describe(c.current), 34), "  ", describe(c.best), "\n");
      ++n;
    }
  if (n == 0)
    out += "(no comparisons: each group needs an AR-family run and an mdm run that differ only "
           "in objective.* / model.dropout_*, with a common metric)\n";
  return out;
}

std::string report_csv(const Report& r) {
  std::string out =
      "group,ar,dlm,metric,better,kind,status,crossover_tokens,crossover_epoch,"
      "first_better_tokens,sign_changes,range_end_tokens,seed_n,seeds_crossed,"
      "seed_crossover_mean,seed_crossover_std,ar_final,dlm_final,ar_best,dlm_best,"
      "unique_tokens,params_nonembed,ar_runs,dlm_runs\n";
  for (const auto& g : r.groups)
    for (const auto& c : g.comparisons) {
      const auto& a = g.variants[c.ar];
      const auto& d = g.variants[c.dlm];
      const std::string& m = r.metrics[c.metric];
      for (int k = 0; k < 2; ++k) {
        const CrossoverSummary& s = k == 0 ? c.current : c.best;
        const Crossover& x = s.mean_curve;
        bool has = x.status == CrossoverStatus::kCrossover || x.status == CrossoverStatus::kFromStart;
        bool overlap = x.status != CrossoverStatus::kNoOverlap;
        std::vector<std::string> f = {
            g.label, a.label, d.label, m, metric_lower_is_better(m) ? "lower" : "higher",
            k == 0 ? "current" : "best", crossover_status_name(x.status),
            has ? num(x.tokens, "%.0f") : "", has && s.epoch >= 0 ? num(s.epoch, "%.4g") : "",
            x.first_better >= 0 ? num(x.first_better, "%.0f") : "",
            overlap ? std::to_string(x.sign_changes) : "", overlap ? num(x.range_end, "%.0f") : "",
            std::to_string(s.seed_n), std::to_string(s.seeds_crossed),
            s.seeds_crossed > 0 ? num(s.seed_mean, "%.0f") : "",
            s.seeds_crossed > 0 ? num(s.seed_std, "%.0f") : "",
            num(a.metrics[c.metric].final_mean), num(d.metrics[c.metric].final_mean),
            num(a.metrics[c.metric].best_mean), num(d.metrics[c.metric].best_mean),
            std::to_string(g.unique_tokens), std::to_string(g.params_nonembed),
            run_names(r, a), run_names(r, d)};
        for (size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + csv_field(f[i]);
        out += "\n";
      }
    }
  return out;
}

std::string report_json(const Report& r) {
  using nlohmann::json;
  auto cross_json = [](const CrossoverSummary& s) {
    const Crossover& x = s.mean_curve;
    bool has = x.status == CrossoverStatus::kCrossover || x.status == CrossoverStatus::kFromStart;
    json j = {{"status", crossover_status_name(x.status)},
              {"tokens", has ? json(x.tokens) : json(nullptr)},
              {"epoch", has && s.epoch >= 0 ? json(s.epoch) : json(nullptr)},
              {"first_better_tokens", x.first_better >= 0 ? json(x.first_better) : json(nullptr)},
              {"sign_changes", x.sign_changes},
              {"range", {x.range_begin, x.range_end}},
              {"seeds", {{"n", s.seed_n}, {"crossed", s.seeds_crossed},
                         {"mean", s.seeds_crossed ? json(s.seed_mean) : json(nullptr)},
                         {"std", s.seeds_crossed ? json(s.seed_std) : json(nullptr)}}}};
    return j;
  };
  json groups = json::array();
  for (const auto& g : r.groups) {
    json jg = {{"label", g.label}, {"unique_tokens", g.unique_tokens},
               {"params_nonembed", g.params_nonembed}, {"params_active", g.params_active}};
    jg["varying"] = json::object();
    for (const auto& kv : g.varying) jg["varying"][kv.first] = kv.second;
    jg["settings"] = json::object();
    for (const auto& kv : r.runs[g.variants[0].runs[0]].settings)
      if (want_group_key(kv.first)) jg["settings"][kv.first] = kv.second;
    json vs = json::array();
    for (const auto& v : g.variants) {
      json jv = {{"label", v.label}, {"kind", v.kind}, {"family", v.dlm ? "dlm" : "ar"}};
      jv["settings"] = json::object();
      for (const auto& kv : v.settings) jv["settings"][kv.first] = kv.second;
      jv["runs"] = json::array();
      for (size_t i : v.runs)
        jv["runs"].push_back({{"name", r.runs[i].config.run.name},
                              {"dir", std::filesystem::absolute(r.runs[i].dir).lexically_normal().string()},
                              {"seed", r.runs[i].config.run.seed},
                              {"subset_seed", r.runs[i].config.data.subset_seed},
                              {"status", run_status_name(r.runs[i].status)}});
      jv["metrics"] = json::object();
      for (size_t m = 0; m < r.metrics.size(); ++m) {
        const auto& s = v.metrics[m];
        if (s.n == 0) continue;
        jv["metrics"][r.metrics[m]] = {{"n", s.n}, {"final_mean", s.final_mean},
                                       {"final_std", s.final_std}, {"best_mean", s.best_mean},
                                       {"best_std", s.best_std}};
      }
      vs.push_back(jv);
    }
    jg["variants"] = vs;
    json cs = json::array();
    for (const auto& c : g.comparisons)
      cs.push_back({{"ar", g.variants[c.ar].label}, {"dlm", g.variants[c.dlm].label},
                    {"metric", r.metrics[c.metric]},
                    {"better", metric_lower_is_better(r.metrics[c.metric]) ? "lower" : "higher"},
                    {"current", cross_json(c.current)}, {"best", cross_json(c.best)}});
    jg["comparisons"] = cs;
    groups.push_back(jg);
  }
  json j = {{"metrics", r.metrics}, {"groups", groups}};
  return j.dump(1) + "\n";
}

}  // namespace crossover
