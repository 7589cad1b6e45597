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

int sweep_plan(const Args& args) {
  args.expect_positional(2, "plan SWEEP.yaml");
  Sweep s = load_sweep(args.positional()[1], args.get("out"), args.all("set"));
  std::string format = args.get("format");
  if (format != "table" && format != "tsv")
    throw UsageError(str_cat("sweep plan: --format must be table or tsv, not '", format, "'"));
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
  std::vector<OptionSpec> specs = {
      {"out", "parent folder of the sweep's run folder", true, false, "runs"},
      {"format", "table (for people) | tsv (for scripts/sweep.sh)", true, false, "table"},
      {"set", "extra override for every run, e.g. --set runtime.threads=1 (repeatable)", true,
       true, ""},
  };
  Args args("sweep", specs, argv);
  if (args.help() || args.positional().empty()) {
    std::cout << args.usage(
        "plan SWEEP.yaml [--out DIR] [--format table|tsv] [--set key=value ...]",
        "Expand a sweep file (base config + grid of config keys) into named runs, validate\n"
        "every run with the strict config loader, and print each run's status\n"
        "(finished | partial | running | new) and overrides. Runs live in\n"
        "<out>/<sweep name>/<run name>/. scripts/sweep.sh runs the plan.");
    return args.help() ? 0 : static_cast<int>(ExitCode::kUsage);
  }
  if (args.positional()[0] == "plan") return sweep_plan(args);
  throw UsageError(str_cat("sweep: unknown action '", args.positional()[0],
                           "'; the only action is 'plan' (see 'crossover sweep --help')"));
}

}  // namespace crossover
