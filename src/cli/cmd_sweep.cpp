// `crossover sweep plan SWEEP.yaml [--out DIR] [--format table|tsv] [--set k=v ...]`:
// expand and validate a sweep, and print each run with its status.
// scripts/sweep.sh reads the tsv form and launches the runs that are not finished.
#include <filesystem>
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/config_roles.h"
#include "crossover/config/loader.h"
#include "crossover/config/sweep.h"
#include "crossover/io/run_layout.h"
#include "crossover/io/run_lock.h"
#include "crossover/report/run_dir.h"
#include "crossover/util/check.h"
#include "crossover/util/file_io.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;

// scripts/sweep.sh records the sweep file that launched a sweep's runs here, so
// a second sweep file with the same name can be told which one it collides with.
std::string sweep_file_marker(const Sweep& s) { return (fs::path(s.runs_dir) / ".sweep_file").string(); }

// A run folder is this sweep's run only if the trainer wrote it from the same
// experiment: every science and variant key of its config.yaml equal to the
// sweep's resolved config (config/config_roles.h; cadence and runtime keys,
// e.g. --set runtime.threads=1, may differ). Otherwise a same-named sweep with
// other settings wrote it, and counting it finished (or resuming it) would mix
// the two: one line naming both, exit 2.
void check_run_is_the_sweeps(const Sweep& s, const SweepRun& run, const std::string& dir) {
  const std::string saved = run_config_path(dir);
  if (!fs::exists(saved)) return;
  Config have;
  try {
    have = load_config(saved);
  } catch (const Error& e) {
    throw UsageError(str_cat("sweep ", s.name, " (", s.file, "): run '", run.name, "' in ", dir,
                             " has a config.yaml that does not load: ", e.what()));
  }
  std::vector<ConfigChange> defining;
  for (auto& c : config_changes(have, load_config(run.base, run.set_args())))
    if (config_role_defines_run(c.role)) defining.push_back(c);
  if (defining.empty()) return;
  std::string other = "another sweep file";
  if (fs::exists(sweep_file_marker(s))) {
    std::string recorded = str_trim(read_file_text(sweep_file_marker(s)));
    if (!recorded.empty()) other = str_cat("sweep file ", recorded);
  }
  throw UsageError(str_cat(
      "sweep ", s.name, " (", s.file, "): run '", run.name, "' in ", dir, " was trained by ", other,
      " with another config (", saved, " vs this sweep: ", describe_config_changes(defining),
      "), so it is not this sweep's run and is neither skipped nor resumed; hint: give one of ",
      "the two sweeps another name, or --out another folder"));
}

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
    const std::string dir = (fs::path(s.runs_dir) / run.name).string();
    check_run_is_the_sweeps(s, run, dir);
    status.push_back(run_status(dir));
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
