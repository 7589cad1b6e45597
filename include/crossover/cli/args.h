// args.h — the command line of one `crossover <command>`, on CLI11. A command
// declares its positionals and options on a CommandLine (a CLI::App) bound to
// plain variables and calls parse_args(): CLI11 converts and checks values and
// writes --help; every parse error becomes one UsageError line (exit 2), an
// unknown option with the nearest valid one. Not here: the dispatch from
// `crossover <command>` to a command (src/main.cpp, cli/commands.h).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "crossover/config/config.h"

namespace crossover {

class CommandLine : public CLI::App {
 public:
  // `command` as typed after `crossover` ("train"); `description` heads --help,
  // `footer` ends it.
  CommandLine(const std::string& command, const std::string& description,
              const std::string& footer = "");

  // Parses the words after the command. False when --help was asked for (it is
  // printed; the command returns 0). Throws UsageError
  // "<command>: <what>; see 'crossover <command> --help'" for an unknown option
  // or subcommand (with the nearest valid one), a missing option, value or
  // positional, an extra positional, a value that is not a number or not in its set.
  bool parse_args(const std::vector<std::string>& argv);

 private:
  std::string usage_error(const CLI::ParseError& e) const;

  std::string command_;
};

// `--name VALUE` that may be given several times; each time takes exactly one
// value (so a positional after it stays a positional).
CLI::Option* add_repeated_option(CLI::App& app, const std::string& name,
                                 std::vector<std::string>& values, const std::string& help);

// A CLI11 check that the value is one of `choices`; its error lists them and
// suggests the nearest.
CLI::Validator one_of(const std::vector<std::string>& choices);

// CONFIG, --set and -v / --verbose: shared by every config-taking command.
struct ConfigArgs {
  std::string path;               // CONFIG; empty = the defaults of configs/base.yaml
  std::vector<std::string> sets;  // --set key=value, in order
  bool verbose = false;           // -v: runtime.log_level=debug
};

// Declares CONFIG (a required positional when `config_required`, else optional),
// --set and -v / --verbose.
void add_config_args(CLI::App& app, ConfigArgs& args, bool config_required);

// The config of a command: its CONFIG (or the defaults when there is none) with
// every --set applied and -v as runtime.log_level=debug; the console log level
// follows runtime.log_level.
Config load_command_config(const ConfigArgs& args);

}  // namespace crossover
