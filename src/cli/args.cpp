// args.cpp — the shared CLI11 set-up of every command: config, --set, help and errors (args.h).
#include "crossover/cli/args.h"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "crossover/config/loader.h"
#include "crossover/util/check.h"
#include "crossover/util/log.h"
#include "crossover/util/strings.h"

namespace crossover {
namespace {

// "-x", "--name", "--name=value"; not "-1" (a negative number is a value).
bool looks_like_option(const std::string& word) {
  return word.size() > 1 && word[0] == '-' && !std::isdigit(static_cast<unsigned char>(word[1])) &&
         word[1] != '.';
}

std::vector<std::string> long_option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options())
    for (const std::string& name : opt->get_lnames()) names.push_back(name);
  return names;
}

}  // namespace

CommandLine::CommandLine(const std::string& command, const std::string& description,
                         const std::string& footer_text)
    : CLI::App(description, "crossover " + command), command_(command) {
  set_help_flag("-h,--help", "show this help and exit");
  option_defaults()->always_capture_default();
  get_formatter()->column_width(34);
  if (!footer_text.empty()) footer(footer_text);
}

bool CommandLine::parse_args(const std::vector<std::string>& argv) {
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());  // CLI11 pops from the back
  try {
    parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::cout << help();  // the help of the subcommand named, if any
    return false;
  } catch (const CLI::ParseError& e) {
    throw UsageError(usage_error(e));
  }
  return true;
}

// One line. CLI11 checks requirements before it complains about words it could
// not place, so look at those first: a misspelt option explains the rest.
std::string CommandLine::usage_error(const CLI::ParseError& e) const {
  const CLI::App* app = this;  // the innermost subcommand named on the line
  std::string command = command_;
  while (!app->get_subcommands().empty()) {
    app = app->get_subcommands().front();
    command += " " + app->get_name();
  }
  const std::string see = str_cat("; see 'crossover ", command, " --help'");
  std::vector<std::string> unplaced = remaining(true);
  for (const CLI::App* sub = this; sub != app;) {  // subcommands keep their own
    sub = sub->get_subcommands().front();
    for (const auto& w : sub->remaining()) unplaced.push_back(w);
  }
  // Where a subcommand was expected, a word that is none is the first mistake.
  std::vector<std::string> subcommands;
  for (const CLI::App* sub : app->get_subcommands({})) subcommands.push_back(sub->get_name());
  for (const std::string& word : unplaced)
    if (!subcommands.empty() && !looks_like_option(word))
      return str_cat(command, ": unknown command '", word, "'", did_you_mean(word, subcommands), see);
  for (const std::string& word : unplaced) {
    if (!looks_like_option(word)) continue;
    const std::string name = word.substr(0, word.find('='));
    const std::string bare = name.substr(name.find_first_not_of('-'));
    return str_cat(command, ": unknown option '", name, "'",
                   did_you_mean(bare, long_option_names(*app), "--"), see);
  }
  std::string what = e.what();
  std::replace(what.begin(), what.end(), '\n', ' ');
  return str_cat(command, ": ", what, see);
}

CLI::Option* add_repeated_option(CLI::App& app, const std::string& name,
                                 std::vector<std::string>& values, const std::string& help) {
  return app.add_option(name, values, help)->allow_extra_args(false)->default_str("");
}

CLI::Validator one_of(const std::vector<std::string>& choices) {
  auto check = [choices](std::string& value) -> std::string {
    if (std::find(choices.begin(), choices.end(), value) != choices.end()) return "";
    return str_cat("'", value, "' is not one of ", str_join(choices, " | "),
                   did_you_mean(value, choices));
  };
  return CLI::Validator(check, "{" + str_join(choices, "|") + "}");
}

void add_config_args(CLI::App& app, ConfigArgs& args, bool config_required) {
  CLI::Option* config = app.add_option(
      "CONFIG", args.path,
      config_required ? "config file (YAML)" : "config file (YAML); default: configs/base.yaml's defaults");
  if (config_required) config->required();
  add_repeated_option(app, "--set", args.sets,
                      "override a config key, e.g. --set train.lr=3e-4 (repeatable)")
      ->type_name("KEY=VALUE");
  app.add_flag("-v,--verbose", args.verbose,
               "console log level debug (same as --set runtime.log_level=debug)");
}

Config load_command_config(const ConfigArgs& args) {
  std::vector<std::string> sets = args.sets;
  if (args.verbose) sets.push_back("runtime.log_level=debug");
  Config c = args.path.empty() ? load_config_from_string("", "defaults", sets)
                               : load_config(args.path, sets);
  log_set_console_level(parse_log_level(c.runtime.log_level));
  return c;
}

}  // namespace crossover
