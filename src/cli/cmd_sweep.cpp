// `crossover sweep plan SWEEP.yaml [--out DIR] [--format table|tsv] [--set k=v ...]`:
// expand and validate a sweep, and print each run with its status.
// scripts/sweep.sh reads the tsv form and launches the runs that are not finished.
#include <filesystem>
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/sweep.h"
#include "crossover/report/run_dir.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

std::string describe_overrides(const SweepRun& run) {
  std::vector<std::string> parts;
  for (const auto& kv : run.varying) parts.push_back(kv.first + "=" + kv.second);
  return parts.empty() ? "(base config)" : str_join(parts, " ");
}

// The command line of `crossover sweep plan`.
struct SweepPlanArgs {
  std::string file;                // SWEEP.yaml
  std::string out = "runs";        // parent of the sweep's run folder
  std::string format = "table";    // table | tsv
  std::vector<std::string> sets;   // --set for every run
};

int sweep_plan(const SweepPlanArgs& args) {
  Sweep s = load_sweep(args.file, args.out, args.sets);
  const std::string& format = args.format;
  std::vector<RunStatus> status;
  int counts[4] = {0, 0, 0, 0};
  for (const auto& run : s.runs) {
    status.push_back(run_status((std::filesystem::path(s.runs_dir) / run.name).string()));
    counts[static_cast<int>(status.back())]++;
  }
  if (format == "tsv") {
    // name, status, run dir, lock file, base config, then one `key=value` per --set.
    for (size_t i = 0; i < s.runs.size(); ++i) {
      std::string dir = (std::filesystem::path(s.runs_dir) / s.runs[i].name).string();
      std::cout << s.runs[i].name << "\t" << run_status_name(status[i]) << "\t" << dir << "\t"
                << run_lock_path(dir) << "\t" << s.runs[i].base;
      for (const auto& a : s.runs[i].set_args()) std::cout << "\t" << a;
      std::cout << "\n";
    }
    return 0;
  }
  std::cout << "sweep " << s.name << " (" << s.file << "): " << s.runs.size() << " runs in "
            << s.runs_dir << "/ -- " << counts[2] << " finished, "
            << counts[1] << " partial, " << counts[3] << " running, " << counts[0] << " new\n";
  size_t w = 4;
  for (const auto& run : s.runs) w = std::max(w, run.name.size());
  for (size_t i = 0; i < s.runs.size(); ++i) {
    std::string name = s.runs[i].name;
    name.resize(w, ' ');
    std::string st = run_status_name(status[i]);
    st.resize(9, ' ');
    std::cout << "  " << name << "  " << st << describe_overrides(s.runs[i]) << "\n";
  }
  return 0;
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& argv) {
  CommandLine cli("sweep", "Expand a sweep file into named runs and show their status.");
  cli.require_subcommand(1);
  SweepPlanArgs plan_args;
  CLI::App* plan = cli.add_subcommand("plan", "validate a sweep's runs and print their status");
  plan->footer(
      "Expand a sweep file (base config + grid of config keys) into named runs, validate\n"
      "every run with the strict config loader, and print each run's status\n"
      "(finished | partial | running | new) and overrides. Runs live in\n"
      "<out>/<sweep name>/<run name>/. scripts/sweep.sh runs the plan.");
  plan->add_option("SWEEP", plan_args.file, "the sweep file (YAML)")->required();
  plan->add_option("--out", plan_args.out, "parent folder of the sweep's run folder");
  plan->add_option("--format", plan_args.format, "table (for people) | tsv (for scripts/sweep.sh)")
      ->check(one_of({"table", "tsv"}));
  add_repeated_option(*plan, "--set", plan_args.sets,
                      "extra override for every run, e.g. --set runtime.threads=1 (repeatable)")
      ->type_name("KEY=VALUE");
  if (!cli.parse_args(argv)) return 0;
  return sweep_plan(plan_args);
}

}  // namespace crossover
