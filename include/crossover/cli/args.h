// args.h — the command line of one subcommand: positionals, `--name value`
// options, repeatable options (--set) and flags. Options are declared up
// front so an unknown or misspelt option is an error with a suggestion.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "crossover/config/config.h"

namespace crossover {

struct OptionSpec {
  std::string name;        // without dashes: "resume"
  std::string help;
  bool takes_value = true;
  bool repeatable = false;
  std::string default_value;
};

class Args {
 public:
  // Parses argv after the subcommand; throws UsageError for unknown options
  // or a missing value. `-h`/`--help` sets help().
  Args(const std::string& command, const std::vector<OptionSpec>& specs,
       const std::vector<std::string>& argv);

  bool help() const { return help_; }
  bool has(const std::string& name) const;
  std::string get(const std::string& name) const;  // value or the spec's default
  std::vector<std::string> all(const std::string& name) const;  // repeatable values
  double get_double(const std::string& name) const;
  long long get_int(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Exactly n positionals or a UsageError naming `what`.
  void expect_positional(size_t n, const std::string& what) const;

  std::string usage(const std::string& synopsis, const std::string& description) const;

 private:
  std::string command_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

// `-v` / `--verbose` and `--set` are shared by every config-taking command.
std::vector<OptionSpec> config_option_specs();

// The config of a command: its CONFIG positional (or the defaults when there is
// none) with every --set applied and -v as runtime.log_level=debug; the console
// log level follows runtime.log_level. More than one positional is a UsageError.
Config load_command_config(const Args& args);

}  // namespace crossover
