// `crossover report RUN_DIR_OR_SWEEP_DIR... [--out DIR] [--metric KEY ...] [--fit]`:
// find both kinds of AR-vs-DLM crossover and write report.csv and report.json;
// with --fit also `crossover fit`'s numbers (fit.json, fit.csv) on val_loss.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/cli/fit_args.h"
#include "crossover/report/report_render.h"
#include "crossover/util/check.h"
#include "crossover/util/file_io.h"

namespace crossover {

int cmd_report(const std::vector<std::string>& argv) {
  CommandLine cli(
      "report",
      "Read config.yaml and metrics.jsonl of every run, pair AR-family runs (ar, ar_noise)\n"
      "with mdm runs that differ only in objective.* / model.dropout_* (seeds averaged),\n"
      "and find the current-value and best-so-far crossover in tokens seen for each\n"
      "metric. Prints a table and writes report.csv and report.json.");
  std::vector<std::string> dirs, metrics;
  std::string out_dir;
  cli.add_option("RUN_DIR_OR_SWEEP_DIR", dirs, "run folders, or folders that hold runs")
      ->required()
      ->default_str("");
  cli.add_option("--out", out_dir, "folder for report.csv and report.json (default: the first path)");
  add_repeated_option(cli, "--metric", metrics,
                      "metric key or pattern, e.g. val_loss or 'task/*/acc' (repeatable; default "
                      "val_loss, task/*/acc, task/*/acc_norm)");
  bool fit = false;
  FitOptions fit_opts;
  cli.add_flag("--fit", fit,
               "also crossover intervals, data efficiency and scaling laws (as `crossover fit`) "
               "on --fit-metric");
  cli.add_option("--fit-metric", fit_opts.metric, "the lower-is-better metric --fit uses");
  add_fit_options(cli, fit_opts);
  ReportGrouping grouping;
  add_grouping_options(cli, grouping);
  if (!cli.parse_args(argv)) return 0;
  if (fit && metrics.empty() && fit_opts.metric != "val_loss")
    metrics = {"val_loss", "task/*/acc", "task/*/acc_norm"};  // build_report's defaults
  if (fit && !metrics.empty() &&
      std::find(metrics.begin(), metrics.end(), fit_opts.metric) == metrics.end())
    metrics.push_back(fit_opts.metric);
  std::vector<RunData> runs;
  for (const auto& dir : find_run_dirs(dirs)) runs.push_back(load_run(dir));
  Report r = build_report(std::move(runs), metrics, grouping);
  std::filesystem::path out = out_dir.empty() ? dirs[0] : out_dir;
  std::filesystem::create_directories(out);
  write_file_atomic((out / "report.csv").string(), report_csv(r));
  write_file_atomic((out / "report.json").string(), report_json(r));
  std::cout << report_table(r) << "\n"
            << r.runs.size() << " runs, " << r.groups.size() << " groups; wrote "
            << (out / "report.csv").string() << " and " << (out / "report.json").string() << "\n";
  if (fit) {
    const FitReport f = fit_runs(r, fit_opts);
    write_fit(f, out);
    std::cout << "\n" << fit_table(f) << "\nwrote " << (out / "fit.json").string() << " and "
              << (out / "fit.csv").string() << "\n";
  }
  return 0;
}

}  // namespace crossover
