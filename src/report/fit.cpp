// fit.cpp — see fit.h.
#include "crossover/report/fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "crossover/config/sweep.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"
#include "crossover/util/stats.h"

namespace crossover {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

bool is_seed_key(const std::string& k) { return k == "data.subset_seed"; }

bool leaves_family(const std::string& k, bool pool_models) {
  if (k == "data.unique_tokens" || is_seed_key(k)) return true;
  return pool_models && str_starts_with(k, "model.") && !str_starts_with(k, "model.dropout_");
}

std::string family_label(const ReportGroup& g, bool pool_models) {
  Pairs keep;
  for (const auto& kv : g.varying)
    if (!leaves_family(kv.first, pool_models)) keep.push_back(kv);
  return keep.empty() ? "all" : sweep_run_name(keep);
}

// One seed's curve of the metric (or its running best).
struct SeedCurves {
  std::vector<Curve> curves;
};

SeedCurves variant_curves(const Report& r, const ReportVariant& v, const std::string& metric,
                          bool best) {
  SeedCurves s;
  for (size_t i : v.runs) {
    auto it = r.runs[i].curves.find(metric);
    if (it == r.runs[i].curves.end() || it->second.empty()) continue;
    s.curves.push_back(best ? curve_best_so_far(it->second, true) : it->second);
  }
  return s;
}

std::vector<Curve> resample(const std::vector<Curve>& v, std::mt19937_64& gen) {
  std::uniform_int_distribution<size_t> pick(0, v.size() - 1);
  std::vector<Curve> out;
  for (size_t i = 0; i < v.size(); ++i) out.push_back(v[pick(gen)]);
  return out;
}

// Percentile interval of values where ±inf mark "beyond the measured range".
OpenInterval open_interval(const std::vector<double>& lo_vals, const std::vector<double>& hi_vals,
                           double confidence) {
  OpenInterval iv;
  const double a = (1 - confidence) / 2;
  iv.lo = sample_quantile(lo_vals, a);
  iv.hi = sample_quantile(hi_vals, 1 - a);
  iv.lo_open = std::isinf(iv.lo);
  iv.hi_open = std::isinf(iv.hi);
  return iv;
}

bool crossed(const Crossover& c) {
  return c.status == CrossoverStatus::kCrossover || c.status == CrossoverStatus::kFromStart;
}

// ---- crossovers ------------------------------------------------------------

CrossoverFit fit_crossover(const Report& r, const ReportGroup& g, const ReportComparison& c,
                           bool best, const FitOptions& opts) {
  const std::string& metric = r.metrics[c.metric];
  const auto& av = g.variants[c.ar];
  const auto& dv = g.variants[c.dlm];
  CrossoverFit f;
  f.group = g.label;
  f.ar = av.label;
  f.dlm = dv.label;
  f.kind = best ? "best" : "current";
  f.point = (best ? c.best : c.current).mean_curve;
  f.epoch_per_token = g.unique_tokens > 0 ? 1.0 / g.unique_tokens : 0;
  SeedCurves a = variant_curves(r, av, metric, best), d = variant_curves(r, dv, metric, best);
  f.ar_seeds = static_cast<int>(a.curves.size());
  f.dlm_seeds = static_cast<int>(d.curves.size());
  const Curve am = curve_mean(a.curves), dm = curve_mean(d.curves);
  if (crossed(f.point)) std::tie(f.grid_lo, f.grid_hi) = crossover_bracket(am, dm, f.point);
  std::vector<double> los, his;
  int n_crossed = 0;
  for (int k = 0; k < opts.bootstrap; ++k) {
    std::mt19937_64 gen(derive_seed(opts.seed, "crossover-bootstrap", k));
    const Curve ab = curve_mean(resample(a.curves, gen)), db = curve_mean(resample(d.curves, gen));
    const Crossover x = find_crossover(ab, db, true);
    if (crossed(x)) {
      ++n_crossed;
      auto br = crossover_bracket(ab, db, x);
      los.push_back(br.first);
      his.push_back(br.second);
    } else {  // no crossing within the range: it lies beyond it, if anywhere
      los.push_back(INFINITY);
      his.push_back(INFINITY);
    }
  }
  f.crossed_fraction = opts.bootstrap > 0 ? static_cast<double>(n_crossed) / opts.bootstrap : 0;
  if (opts.bootstrap > 0) f.ci = open_interval(los, his, opts.confidence);
  return f;
}

// ---- data efficiency -------------------------------------------------------

// Per budget, the best loss of each seed of one variant.
struct BudgetCells {
  std::vector<double> budgets;             // sorted
  std::vector<std::vector<double>> bests;  // per budget, one per seed
};

void add_cell(BudgetCells& cells, double u, std::vector<double> bests) {
  auto it = std::lower_bound(cells.budgets.begin(), cells.budgets.end(), u);
  size_t i = static_cast<size_t>(it - cells.budgets.begin());
  if (it != cells.budgets.end() && *it == u) {
    cells.bests[i].insert(cells.bests[i].end(), bests.begin(), bests.end());
    return;
  }
  cells.budgets.insert(it, u);
  cells.bests.insert(cells.bests.begin() + static_cast<long>(i), bests);
}

std::vector<double> cell_means(const BudgetCells& c, std::mt19937_64* gen) {
  std::vector<double> m;
  for (const auto& b : c.bests) {
    if (!gen) {
      m.push_back(mean_of(b));
      continue;
    }
    std::uniform_int_distribution<size_t> pick(0, b.size() - 1);
    double s = 0;
    for (size_t i = 0; i < b.size(); ++i) s += b[pick(*gen)];
    m.push_back(s / b.size());
  }
  return m;
}

// factor U_a / U_d for one direction at budget index i of `from`.
double efficiency_factor(const std::vector<double>& ar_budgets, const std::vector<double>& ar_loss,
                         const std::vector<double>& dlm_budgets, const std::vector<double>& dlm_loss,
                         bool dlm_to_ar, size_t i, double* matched, int* bound) {
  if (dlm_to_ar) {
    const double ua = budget_matching_loss(ar_budgets, ar_loss, dlm_loss[i], bound);
    *matched = ua;
    return ua / dlm_budgets[i];
  }
  int b = 0;
  const double ud = budget_matching_loss(dlm_budgets, dlm_loss, ar_loss[i], &b);
  *matched = ud;
  *bound = -b;  // the DLM needing less than its smallest budget makes U_a/U_d a lower bound
  return ar_budgets[i] / ud;
}

void fit_efficiency(const std::string& family, const std::string& ar, const std::string& dlm,
                    const BudgetCells& a, const BudgetCells& d, const FitOptions& opts,
                    FitReport& out) {
  const auto am = cell_means(a, nullptr), dm = cell_means(d, nullptr);
  for (int dir = 0; dir < 2; ++dir) {
    const bool dlm_to_ar = dir == 0;
    const size_t n = dlm_to_ar ? d.budgets.size() : a.budgets.size();
    for (size_t i = 0; i < n; ++i) {
      EfficiencyFit e;
      e.family = family;
      e.ar = ar;
      e.dlm = dlm;
      e.direction = dlm_to_ar ? "dlm_to_ar" : "ar_to_dlm";
      e.budget = dlm_to_ar ? d.budgets[i] : a.budgets[i];
      e.loss = dlm_to_ar ? dm[i] : am[i];
      e.factor = efficiency_factor(a.budgets, am, d.budgets, dm, dlm_to_ar, i, &e.matched, &e.bound);
      std::vector<double> lo, hi;
      for (int k = 0; k < opts.bootstrap; ++k) {
        std::mt19937_64 gen(derive_seed(opts.seed, "efficiency-bootstrap", k));
        const auto ab = cell_means(a, &gen), db = cell_means(d, &gen);
        double matched = 0;
        int bound = 0;
        double f = efficiency_factor(a.budgets, ab, d.budgets, db, dlm_to_ar, i, &matched, &bound);
        lo.push_back(bound < 0 ? -INFINITY : f);  // ≤ f: could be anything below
        hi.push_back(bound > 0 ? INFINITY : f);   // ≥ f: could be anything above
        if (bound < 0) hi.back() = f;
        if (bound > 0) lo.back() = f;
      }
      if (opts.bootstrap > 0) {
        e.ci = open_interval(lo, hi, opts.confidence);
        if (std::isinf(e.ci.lo)) e.ci.lo = 0;
      }
      out.efficiency.push_back(e);
    }
  }
}

// ---- laws ------------------------------------------------------------------

std::vector<LawPoint> law_points(const Report& r, const std::vector<std::pair<const ReportGroup*, const ReportVariant*>>& cells,
                                 const std::string& metric, double after_warmups, int* next_run) {
  std::vector<LawPoint> pts;
  for (const auto& gv : cells) {
    const ReportGroup& g = *gv.first;
    if (g.unique_tokens <= 0) continue;
    for (size_t i : gv.second->runs) {
      auto it = r.runs[i].curves.find(metric);
      if (it == r.runs[i].curves.end() || it->second.empty()) continue;
      const Curve best = curve_best_so_far(it->second, true);
      const TrainConfig& t = r.runs[i].config.train;
      const double warmup_tokens = static_cast<double>(t.lr_warmup_steps) * t.batch_size *
                                   r.runs[i].config.data.seq_len;
      for (size_t k = 0; k < best.x.size(); ++k) {
        if (best.x[k] <= 0 || best.x[k] < after_warmups * warmup_tokens) continue;
        LawPoint p;
        p.N = static_cast<double>(g.params_nonembed);
        p.U = static_cast<double>(g.unique_tokens);
        p.D = best.x[k];
        p.L = best.y[k];
        p.run = *next_run;
        pts.push_back(p);
      }
      ++*next_run;
    }
  }
  return pts;
}

std::string fmt(double v, const char* f = "%.4g") {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

// "[lo, hi]"; an open side reads "beyond" (past the measured range) or "0"
// (an upper-bound factor); a crossover no resample found reads "beyond the range".
std::string interval_text(const OpenInterval& iv, bool tokens) {
  if (iv.lo_open && iv.lo > 0) return "beyond the measured range";
  auto one = [&](double v) { return tokens ? human_count(v) : fmt(v, "%.3g"); };
  return str_cat("[", iv.lo_open ? std::string("0") : one(iv.lo), ", ",
                 iv.hi_open ? std::string("beyond") : one(iv.hi), "]");
}

std::string interval_text(const Interval& iv) { return str_cat("[", fmt(iv.lo, "%.3g"), ", ", fmt(iv.hi, "%.3g"), "]"); }

}  // namespace

std::pair<double, double> crossover_bracket(const Curve& ar, const Curve& dlm, const Crossover& c) {
  if (c.status == CrossoverStatus::kFromStart) return {0.0, c.tokens};
  double lo = c.range_begin, hi = c.range_end;
  for (const Curve* cv : {&ar, &dlm})
    for (double x : cv->x) {
      if (x <= c.tokens && x > lo) lo = x;
      if (x >= c.tokens && x < hi) hi = x;
    }
  return {std::min(lo, c.tokens), std::max(hi, c.tokens)};
}

double budget_matching_loss(const std::vector<double>& budgets, const std::vector<double>& losses,
                            double loss, int* bound) {
  CROSSOVER_CHECK(!budgets.empty() && budgets.size() == losses.size(),
                  "budget_matching_loss needs one loss per budget");
  *bound = 0;
  if (losses[0] <= loss) {
    *bound = -1;
    return budgets[0];
  }
  for (size_t i = 0; i + 1 < budgets.size(); ++i) {
    if (losses[i + 1] <= loss) {  // losses[i] > loss >= losses[i+1]
      const double t = (losses[i] - loss) / (losses[i] - losses[i + 1]);
      return std::exp(std::log(budgets[i]) + t * (std::log(budgets[i + 1]) - std::log(budgets[i])));
    }
  }
  *bound = 1;
  return budgets.back();
}

FitReport fit_runs(const Report& r, const FitOptions& opts) {
  FitReport out;
  out.metric = opts.metric;
  out.confidence = opts.confidence;
  if (!metric_lower_is_better(opts.metric))
    throw UsageError(str_cat("fit: --metric must be a lower-is-better metric (a loss); got '",
                             opts.metric, "'"));
  const auto mit = std::find(r.metrics.begin(), r.metrics.end(), opts.metric);
  if (mit == r.metrics.end())
    throw UsageError(str_cat("fit: no run logged '", opts.metric,
                             "'; hint: --metric names a `kind: val` key of metrics.jsonl, e.g. val_loss"));
  const size_t metric = static_cast<size_t>(mit - r.metrics.begin());

  // 1. Crossovers with intervals.
  for (const auto& g : r.groups)
    for (const auto& c : g.comparisons) {
      if (c.metric != metric) continue;
      for (bool best : {false, true}) out.crossovers.push_back(fit_crossover(r, g, c, best, opts));
    }

  // Families: (family label, variant label) -> the groups' variants.
  std::map<std::string, std::map<std::string, std::vector<std::pair<const ReportGroup*, const ReportVariant*>>>> fam;
  std::map<std::string, std::map<std::string, bool>> is_dlm;
  std::map<std::string, std::map<std::string, std::string>> kind_of;
  for (const auto& g : r.groups)
    for (const auto& v : g.variants) {
      const std::string fl = family_label(g, opts.pool_models);
      fam[fl][v.label].push_back({&g, &v});
      is_dlm[fl][v.label] = v.dlm;
      kind_of[fl][v.label] = v.kind;
    }

  // 2. Data efficiency, per (AR variant, DLM variant) of a family with ≥ 2 budgets each.
  for (const auto& f : fam) {
    std::map<std::string, BudgetCells> cells;
    for (const auto& v : f.second) {
      BudgetCells bc;
      for (const auto& gv : v.second) {
        if (gv.first->unique_tokens <= 0) continue;
        std::vector<double> bests;
        for (size_t i : gv.second->runs) {
          auto it = r.runs[i].curves.find(opts.metric);
          if (it == r.runs[i].curves.end() || it->second.empty()) continue;
          bests.push_back(curve_best_so_far(it->second, true).y.back());
        }
        if (!bests.empty()) add_cell(bc, static_cast<double>(gv.first->unique_tokens), bests);
      }
      cells[v.first] = bc;
    }
    for (const auto& a : cells)
      for (const auto& d : cells) {
        if (is_dlm[f.first][a.first] || !is_dlm[f.first][d.first]) continue;
        if (a.second.budgets.size() < 2 || d.second.budgets.empty()) {
          out.notes.push_back(str_cat("family ", f.first, ": no data-efficiency factor for ", a.first,
                                      " vs ", d.first, " (needs ≥ 2 AR budgets; has ",
                                      a.second.budgets.size(), ")"));
          continue;
        }
        fit_efficiency(f.first, a.first, d.first, a.second, d.second, opts, out);
      }
  }

  // 3. Laws per (family, variant).
  for (const auto& f : fam)
    for (const auto& v : f.second) {
      int next_run = 0;
      LawReport lr;
      lr.family = f.first;
      lr.variant = v.first;
      lr.kind = kind_of[f.first][v.first];
      lr.settings = v.second.front().second->settings;
      lr.dlm = is_dlm[f.first][v.first];
      lr.points = law_points(r, v.second, opts.metric, opts.law_after_warmups, &next_run);
      std::set<double> ns, us;
      for (const auto& p : lr.points) {
        ns.insert(p.N);
        us.insert(p.U);
      }
      const bool with_n = ns.size() > 1;
      if (us.size() < 2 && ns.size() < 2) {
        out.notes.push_back(str_cat("family ", f.first, ", ", v.first,
                                    ": no scaling-law fit (one budget; R_D* needs ≥ 2 unique-token budgets)"));
        continue;
      }
      try {
        LawFitOptions lo = opts.law;
        lo.confidence = opts.confidence;
        lo.seed = opts.seed;
        lr.fit = law_fit(lr.points, with_n, lo);
        lr.holdout = law_holdout(lr.points, with_n, lo);
      } catch (const Error& e) {
        out.notes.push_back(str_cat("family ", f.first, ", ", v.first, ": no scaling-law fit: ", e.what()));
        continue;
      }
      out.laws.push_back(lr);
    }

  // 4. Predicted best-so-far crossovers, for comparisons whose two variants have laws.
  auto law_of = [&](const std::string& family, const std::string& variant) -> const LawReport* {
    for (const auto& l : out.laws)
      if (l.family == family && l.variant == variant) return &l;
    return nullptr;
  };
  size_t k = 0;
  for (const auto& g : r.groups)
    for (const auto& c : g.comparisons) {
      if (c.metric != metric) continue;
      const std::string fl = family_label(g, opts.pool_models);
      const LawReport* la = law_of(fl, g.variants[c.ar].label);
      const LawReport* ld = law_of(fl, g.variants[c.dlm].label);
      for (int b = 0; b < 2; ++b, ++k) {
        if (!la || !ld || g.unique_tokens <= 0) continue;
        CrossoverFit& cf = out.crossovers[k];
        const double u = static_cast<double>(g.unique_tokens);
        const double end = std::max(cf.point.range_end, u) * 4;
        cf.predicted = law_crossover(la->fit.law, ld->fit.law, static_cast<double>(g.params_nonembed),
                                     u, std::max(1.0, cf.point.range_begin), end);
      }
    }
  return out;
}

std::string fit_table(const FitReport& f) {
  std::string out = str_cat("Crossovers of ", f.metric, " (", fmt(100 * f.confidence, "%.0f"),
                            "% bootstrap over seeds, widened to the evaluation grid):\n");
  for (const auto& c : f.crossovers) {
    std::string point;
    switch (c.point.status) {
      case CrossoverStatus::kCrossover: point = human_count(c.point.tokens); break;
      case CrossoverStatus::kFromStart: point = "from start"; break;
      case CrossoverStatus::kNone: point = "none within " + human_count(c.point.range_end); break;
      case CrossoverStatus::kNoOverlap: point = "no common tokens"; break;
    }
    std::string ep = c.epoch_per_token > 0 && crossed(c.point)
                         ? str_cat(" (ep ", fmt(c.point.tokens * c.epoch_per_token, "%.3g"), ")")
                         : "";
    std::string pred = c.kind != "best" || c.predicted < -1.5 ? ""
                       : c.predicted < 0  ? "  law: none in range"
                       : c.predicted == 0 ? "  law: DLM lower from the start"
                                          : str_cat("  law: ", human_count(c.predicted));
    out += str_cat("  ", c.group, "  ", c.ar, " vs ", c.dlm, "  ", c.kind, ": ", point, ep, "  CI ",
                   interval_text(c.ci, true), "  crossed in ", fmt(100 * c.crossed_fraction, "%.0f"),
                   "% of resamples, seeds ", c.ar_seeds, "/", c.dlm_seeds, pred, "\n");
  }
  if (!f.efficiency.empty()) out += "Data efficiency (U_AR / U_DLM at equal best loss):\n";
  for (const auto& e : f.efficiency) {
    const char* rel = e.bound > 0 ? "≥ " : e.bound < 0 ? "≤ " : "";
    out += str_cat("  ", e.family, "  ", e.ar, " vs ", e.dlm, "  ",
                   e.direction == "dlm_to_ar" ? "DLM at " : "AR at ", human_count(e.budget),
                   " (best ", fmt(e.loss), ") = ", e.direction == "dlm_to_ar" ? "AR at " : "DLM at ",
                   human_count(e.matched), ": factor ", rel, fmt(e.factor, "%.3g"), "  CI ",
                   interval_text(e.ci, false), "\n");
  }
  if (!f.laws.empty()) out += "Data-constrained laws  L = E + B / D'^beta:\n";
  for (const auto& l : f.laws) {
    const auto& w = l.fit.law;
    out += str_cat("  ", l.family, "  ", l.variant, ": E ", fmt(w.E), " ", interval_text(l.fit.E_ci),
                   ", B ", fmt(w.B), ", beta ", fmt(w.beta), " ",
                   interval_text(l.fit.beta_ci), ", R_D* ", fmt(w.r_star, "%.3g"),
                   " ", interval_text(l.fit.r_star_ci),
                   l.fit.r_star_at_bound ? " (at its bound: no saturation seen)" : "",
                   w.with_n ? str_cat(", A ", fmt(w.A), ", alpha ", fmt(w.alpha)) : "", "; ", l.fit.points,
                   " points, rmse(log L) ", fmt(l.fit.rmse_log, "%.3g"), "\n");
    for (const auto& h : l.holdout)
      out += str_cat("      held out U=", human_count(h.U), ": MAE ", fmt(h.mae, "%.3g"), " nats, bias ",
                     fmt(h.bias, "%+.3g"), " (", h.points, " points)\n");
  }
  for (const auto& n : f.notes) out += "note: " + n + "\n";
  return out;
}

namespace {

nlohmann::json interval_json(const OpenInterval& iv) {
  using nlohmann::json;
  // An open side is null; beyond_range: not even the lower end lies in the range.
  return {{"lo", iv.lo_open ? json(nullptr) : json(iv.lo)},
          {"hi", iv.hi_open ? json(nullptr) : json(iv.hi)},
          {"lo_open", iv.lo_open},
          {"hi_open", iv.hi_open},
          {"beyond_range", iv.lo_open && iv.lo > 0}};
}

nlohmann::json plain_interval_json(const Interval& iv) { return {iv.lo, iv.hi}; }

}  // namespace

std::string fit_json(const FitReport& f) {
  using nlohmann::json;
  json cs = json::array();
  for (const auto& c : f.crossovers) {
    const bool has = crossed(c.point);
    cs.push_back({{"group", c.group}, {"ar", c.ar}, {"dlm", c.dlm}, {"kind", c.kind},
                  {"status", crossover_status_name(c.point.status)},
                  {"tokens", has ? json(c.point.tokens) : json(nullptr)},
                  {"epoch", has && c.epoch_per_token > 0 ? json(c.point.tokens * c.epoch_per_token) : json(nullptr)},
                  {"grid", has ? json({c.grid_lo, c.grid_hi}) : json(nullptr)},
                  {"ci", interval_json(c.ci)}, {"crossed_fraction", c.crossed_fraction},
                  {"seeds", {c.ar_seeds, c.dlm_seeds}},
                  {"unique_tokens", c.epoch_per_token > 0 ? json(1.0 / c.epoch_per_token) : json(nullptr)},
                  {"predicted", c.predicted < -1.5 ? json(nullptr) : json(c.predicted)}});
  }
  json es = json::array();
  for (const auto& e : f.efficiency)
    es.push_back({{"family", e.family}, {"ar", e.ar}, {"dlm", e.dlm}, {"direction", e.direction},
                  {"budget", e.budget}, {"loss", e.loss}, {"matched", e.matched},
                  {"factor", e.factor}, {"bound", e.bound == 0 ? "exact" : e.bound > 0 ? "lower" : "upper"},
                  {"ci", interval_json(e.ci)}});
  json ls = json::array();
  for (const auto& l : f.laws) {
    const auto& w = l.fit.law;
    json pts = json::array();
    for (size_t i = 0; i < l.points.size(); ++i)
      pts.push_back({l.points[i].N, l.points[i].U, l.points[i].D, l.points[i].L, l.fit.residuals[i]});
    // The fitted curve per budget, for plotting (64 points from the first evaluation to the last).
    std::map<double, std::pair<double, double>> range;  // U -> (D min, D max)
    for (const auto& p : l.points) {
      auto it = range.find(p.U);
      if (it == range.end()) range[p.U] = {p.D, p.D};
      else it->second = {std::min(it->second.first, p.D), std::max(it->second.second, p.D)};
    }
    json curves = json::array();
    const double n0 = l.points.empty() ? 0 : l.points[0].N;
    for (const auto& kv : range) {
      json d = json::array(), y = json::array();
      for (int i = 0; i < 64; ++i) {
        const double x = kv.second.first * std::pow(kv.second.second / kv.second.first, i / 63.0);
        d.push_back(x);
        y.push_back(law_loss(w, n0, kv.first, x));
      }
      curves.push_back({{"U", kv.first}, {"D", d}, {"L", y}});
    }
    json hs = json::array();
    for (const auto& h : l.holdout)
      hs.push_back({{"U", h.U}, {"points", h.points}, {"mae", h.mae}, {"bias", h.bias}});
    json settings = json::object();
    for (const auto& kv : l.settings) settings[kv.first] = kv.second;
    ls.push_back({{"family", l.family}, {"variant", l.variant}, {"kind", l.kind},
                  {"settings", settings}, {"family_kind", l.dlm ? "dlm" : "ar"},
                  {"law", {{"E", w.E}, {"B", w.B}, {"beta", w.beta}, {"r_star", w.r_star},
                           {"A", w.A}, {"alpha", w.alpha}, {"with_n", w.with_n}}},
                  {"ci", {{"E", plain_interval_json(l.fit.E_ci)}, {"B", plain_interval_json(l.fit.B_ci)},
                          {"beta", plain_interval_json(l.fit.beta_ci)},
                          {"r_star", plain_interval_json(l.fit.r_star_ci)}}},
                  {"bootstrap_ok", l.fit.bootstrap_ok}, {"r_star_at_bound", l.fit.r_star_at_bound},
                  {"rmse_log", l.fit.rmse_log}, {"points", pts}, {"curves", curves}, {"holdout", hs}});
  }
  json j = {{"metric", f.metric}, {"confidence", f.confidence}, {"crossovers", cs},
            {"efficiency", es}, {"laws", ls}, {"notes", f.notes}};
  return j.dump(1) + "\n";
}

std::string fit_csv(const FitReport& f) {
  auto v = [](double x) { return std::isfinite(x) ? fmt(x, "%.6g") : std::string(); };
  std::string out = "section,family_or_group,ar_or_variant,dlm,kind,value,ci_lo,ci_hi,bound,extra\n";
  for (const auto& c : f.crossovers)
    out += str_cat("crossover,", c.group, ",", c.ar, ",", c.dlm, ",", c.kind, ",",
                   crossed(c.point) ? v(c.point.tokens) : "", ",", c.ci.lo_open ? "" : v(c.ci.lo), ",",
                   c.ci.hi_open ? "" : v(c.ci.hi), ",", crossover_status_name(c.point.status), ",",
                   c.predicted < -1.5 ? "" : str_cat("predicted=", v(c.predicted)), "\n");
  for (const auto& e : f.efficiency)
    out += str_cat("efficiency,", e.family, ",", e.ar, ",", e.dlm, ",", e.direction, "@", v(e.budget), ",",
                   v(e.factor), ",", e.ci.lo_open ? "" : v(e.ci.lo), ",", e.ci.hi_open ? "" : v(e.ci.hi), ",",
                   e.bound == 0 ? "exact" : e.bound > 0 ? "lower" : "upper", ",matched=", v(e.matched), "\n");
  for (const auto& l : f.laws)
    out += str_cat("law,", l.family, ",", l.variant, ",,r_star,", v(l.fit.law.r_star), ",",
                   v(l.fit.r_star_ci.lo), ",", v(l.fit.r_star_ci.hi), ",",
                   l.fit.r_star_at_bound ? "at_bound" : "", ",E=", v(l.fit.law.E), " B=", v(l.fit.law.B),
                   " beta=", v(l.fit.law.beta), "\n");
  return out;
}

}  // namespace crossover
