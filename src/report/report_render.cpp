// report_render.cpp — a built Report as the three outputs: the table people read,
// the CSV plots and spreadsheets read, the JSON plot.py and results_md.py read.
#include "crossover/report/report_render.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "crossover/util/strings.h"

namespace crossover {

namespace {

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

std::string run_names(const Report& r, const ReportVariant& v) {
  std::vector<std::string> names;
  for (size_t i : v.runs) names.push_back(r.runs[i].config.run.name);
  return str_join(names, ";");
}

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
    for (const auto& kv : g.settings) jg["settings"][kv.first] = kv.second;
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
