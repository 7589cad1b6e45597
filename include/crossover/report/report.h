// report.h — pairs AR-family and DLM runs that differ only in the objective,
// finds both kinds of crossover for each metric, and writes the result as a
// table, report.csv and report.json (the plotter's input).
//
// Grouping. Two runs belong to one group when every config key agrees except
// those whose role (config/config_roles.h, one table for resume, sweeps and
// this report) is
//   - variant: objective.* and the noise settings model.dropout_* (these make
//     the *variant*: ar, ar_noise with input_noise 0.1, mdm, ...),
//   - cadence or runtime: logging / evaluation / checkpoint intervals, device,
//     threads, precision, world layout, run name and folder,
// and the replicate keys run.seed and data.subset_seed (a figure that draws its
// unique data per seed ties them; the replicates of one variant are averaged).
// Within a group every AR-family variant (kind ar or ar_noise) is compared with
// every DLM variant (kind mdm).
//
// Seeds. The headline crossover compares the seed-mean curves (mean of each
// seed's curve, or of each seed's running best). Each replicate (run.seed,
// data.subset_seed) present in both variants is also compared on its own;
// those crossovers give mean, std and n.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "crossover/report/curve.h"
#include "crossover/report/run_dir.h"

namespace crossover {

struct MetricSummary {
  int n = 0;                 // seeds with this metric
  double final_mean = 0, final_std = 0;  // value at the last evaluation
  double best_mean = 0, best_std = 0;    // best value over the run
};

struct CrossoverSummary {
  Crossover mean_curve;      // on the seed-mean curves
  double epoch = -1;         // mean_curve.tokens in epochs over the unique budget; -1 unknown
  int seed_n = 0;            // seeds compared one to one
  int seeds_crossed = 0;     // of those, with a crossover (or DLM better from the start)
  double seed_mean = 0, seed_std = 0;  // crossover tokens over the crossed seeds
};

struct ReportVariant {
  std::string label;         // e.g. kind-ar, kind-ar_noise_noise-0.1
  std::string kind;          // objective.kind
  bool dlm = false;          // kind == mdm
  std::vector<std::pair<std::string, std::string>> settings;  // objective.*, model.dropout_*
  std::vector<size_t> runs;  // indices into Report::runs, sorted by seed
  std::vector<MetricSummary> metrics;  // parallel to Report::metrics
};

struct ReportComparison {
  size_t ar = 0, dlm = 0;    // indices into the group's variants
  size_t metric = 0;         // index into Report::metrics
  CrossoverSummary current, best;
};

struct ReportGroup {
  std::string label;         // the grouping keys that differ between groups, e.g. unique-100k
  std::vector<std::pair<std::string, std::string>> varying;  // those keys and values
  // Every grouping key (science role) and its value: what the group's runs share.
  std::vector<std::pair<std::string, std::string>> settings;
  int64_t unique_tokens = 0; // data.unique_tokens (0 = whole split)
  int64_t params_nonembed = 0;  // non-embedding parameters (all experts)
  int64_t params_active = 0;    // non-embedding parameters used per token
  std::vector<ReportVariant> variants;
  std::vector<ReportComparison> comparisons;
};

struct Report {
  std::vector<RunData> runs;
  std::vector<std::string> metrics;
  std::vector<ReportGroup> groups;
};

// Per-report changes to the key roles of config/config_roles.h (`report
// --variant-key K --ignore-key K`): `variant_keys` are compared within a group
// instead of splitting groups (e.g. train.lr when each paradigm runs at its own
// tuned learning rate: "each tuned"); `ignore_keys` neither split groups nor
// name variants (e.g. train.total_tokens of AR branches annealed at their own
// early-stopping points, shorter than their parents). Both must be config keys.
struct ReportGrouping {
  std::vector<std::string> variant_keys;
  std::vector<std::string> ignore_keys;
};

// `metric_patterns` select metrics ('*' matches any run of characters); empty
// means val_loss, task/*/acc and task/*/acc_norm.
Report build_report(std::vector<RunData> runs, const std::vector<std::string>& metric_patterns,
                    const ReportGrouping& grouping = {});

// Non-embedding parameter count of the model a config describes: attention,
// (MoE) SwiGLU FFN, norms and router; biases ignored. `active` counts top_k experts.
int64_t model_params_nonembed(const ModelConfig& m, bool active);

}  // namespace crossover
