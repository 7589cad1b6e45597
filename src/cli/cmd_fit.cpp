// `crossover fit RUN_DIR_OR_SWEEP_DIR... [--out DIR] [--metric KEY] [--bootstrap N]
//  [--law-bootstrap N] [--confidence C] [--huber DELTA] [--pool-models] [--seed S]
//  [--variant-key K] [--ignore-key K]`:
// crossover points with confidence intervals, the data-efficiency factor, and a
// data-constrained scaling law per objective (report/fit.h). Writes fit.json
// (the plotter's input: scripts/plot.py --kind fit) and fit.csv.
#include <filesystem>
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/cli/fit_args.h"
#include "crossover/report/fit.h"
#include "crossover/report/report.h"
#include "crossover/util/check.h"
#include "crossover/util/file_io.h"

namespace crossover {

void add_fit_options(CLI::App& cli, FitOptions& o) {
  cli.add_option("--bootstrap", o.bootstrap, "resamples for crossover and efficiency intervals")
      ->check(CLI::Range(0, 1000000));
  cli.add_option("--law-bootstrap", o.law.bootstrap, "resamples for the scaling-law intervals")
      ->check(CLI::Range(0, 100000));
  cli.add_option("--confidence", o.confidence, "interval coverage")->check(CLI::Range(0.5, 0.999));
  cli.add_option("--huber", o.law.huber_delta,
                 "Huber scale on log-loss residuals for the law fit (0 = least squares)")
      ->check(CLI::Range(0.0, 10.0));
  cli.add_option("--seed", o.seed, "bootstrap seed");
  cli.add_option("--law-after-warmups", o.law_after_warmups,
                 "law points start after this many LR warm-ups of each run")
      ->check(CLI::Range(0.0, 1000.0));
  cli.add_flag("--pool-models", o.pool_models,
               "fit one law across model sizes (adds the A/N^alpha term)");
}

void add_grouping_options(CLI::App& cli, ReportGrouping& g) {
  add_repeated_option(cli, "--variant-key", g.variant_keys,
                      "a config key compared within a group instead of splitting groups, e.g. "
                      "train.lr when each paradigm runs at its own tuned LR (repeatable)");
  add_repeated_option(cli, "--ignore-key", g.ignore_keys,
                      "a config key that neither splits groups nor names variants, e.g. "
                      "train.total_tokens of annealed branches (repeatable)");
}

void write_fit(const FitReport& f, const std::filesystem::path& out) {
  std::filesystem::create_directories(out);
  write_file_atomic((out / "fit.json").string(), fit_json(f));
  write_file_atomic((out / "fit.csv").string(), fit_csv(f));
}

int cmd_fit(const std::vector<std::string>& argv) {
  CommandLine cli(
      "fit",
      "For the runs under the given folders (grouped as `crossover report` groups them):\n"
      "crossover points with bootstrap confidence intervals over seeds (widened to the\n"
      "evaluation grid), the data-efficiency factor (the AR budget that matches each DLM\n"
      "budget's best loss, and the reverse), and a data-constrained scaling law\n"
      "L = E + B/D'^beta per objective (Muennighoff et al. 2023) with R_D* and its\n"
      "interval, a held-out-budget check and the crossover it predicts. Prints a table\n"
      "and writes fit.json and fit.csv.");
  std::vector<std::string> dirs;
  std::string out_dir;
  FitOptions opts;
  cli.add_option("RUN_DIR_OR_SWEEP_DIR", dirs, "run folders, or folders that hold runs")->required();
  cli.add_option("--out", out_dir, "folder for fit.json and fit.csv (default: the first path)");
  cli.add_option("--metric", opts.metric, "a lower-is-better `kind: val` metric");
  add_fit_options(cli, opts);
  ReportGrouping grouping;
  add_grouping_options(cli, grouping);
  if (!cli.parse_args(argv)) return 0;
  std::vector<RunData> runs;
  for (const auto& dir : find_run_dirs(dirs)) runs.push_back(load_run(dir));
  const Report r = build_report(std::move(runs), {opts.metric}, grouping);
  const FitReport f = fit_runs(r, opts);
  const std::filesystem::path out = out_dir.empty() ? dirs[0] : out_dir;
  write_fit(f, out);
  std::cout << fit_table(f) << "\nwrote " << (out / "fit.json").string() << " and "
            << (out / "fit.csv").string() << "\n";
  return 0;
}

}  // namespace crossover
