#include "crossover/cli/args.h"

#include <cstdlib>

#include "crossover/config/loader.h"
#include "crossover/util/check.h"
#include "crossover/util/log.h"

namespace crossover {

Args::Args(const std::string& command, const std::vector<OptionSpec>& specs,
           const std::vector<std::string>& argv)
    : command_(command), specs_(specs) {
  auto find_spec = [&](const std::string& name) -> const OptionSpec* {
    for (const auto& s : specs_)
      if (s.name == name) return &s;
    return nullptr;
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" || a == "--help") {
      help_ = true;
      continue;
    }
    if (a == "--") {
      for (size_t j = i + 1; j < argv.size(); ++j) positional_.push_back(argv[j]);
      break;
    }
    if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && std::isdigit(a[1]))) {
      std::string name = a.substr(a[1] == '-' ? 2 : 1);
      std::string value;
      bool inline_value = false;
      size_t eq = name.find('=');
      if (eq != std::string::npos && name.rfind("set", 0) != 0) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      if (name == "v") name = "verbose";
      const OptionSpec* spec = find_spec(name);
      if (!spec) {
        std::vector<std::string> names;
        for (const auto& s : specs_) names.push_back(s.name);
        throw UsageError(str_cat(command_, ": unknown option '", a, "'",
                                 did_you_mean(name, names, "--"),
                                 "; see 'crossover ", command_, " --help'"));
      }
      if (spec->takes_value) {
        if (!inline_value) {
          if (i + 1 >= argv.size())
            throw UsageError(str_cat(command_, ": option '--", name, "' needs a value"));
          value = argv[++i];
        }
        auto& vals = values_[name];
        if (!vals.empty() && !spec->repeatable)
          throw UsageError(str_cat(command_, ": option '--", name, "' given twice"));
        vals.push_back(value);
      } else {
        values_[name].push_back("true");
      }
      continue;
    }
    positional_.push_back(a);
  }
}

bool Args::has(const std::string& name) const { return values_.count(name) > 0; }

std::string Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second.back();
  for (const auto& s : specs_)
    if (s.name == name) return s.default_value;
  return "";
}

std::vector<std::string> Args::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

double Args::get_double(const std::string& name) const {
  std::string s = get(name);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0')
    throw UsageError(str_cat(command_, ": --", name, " expects a number, got '", s, "'"));
  return d;
}

long long Args::get_int(const std::string& name) const {
  std::string s = get(name);
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0')
    throw UsageError(str_cat(command_, ": --", name, " expects an integer, got '", s, "'"));
  return v;
}

void Args::expect_positional(size_t n, const std::string& what) const {
  if (positional_.size() != n)
    throw UsageError(str_cat(command_, ": expected ", what, " (got ", positional_.size(),
                             " argument", positional_.size() == 1 ? "" : "s",
                             "); see 'crossover ", command_, " --help'"));
}

std::string Args::usage(const std::string& synopsis, const std::string& description) const {
  std::string out = str_cat("usage: crossover ", command_, " ", synopsis, "\n\n", description,
                            "\n\noptions:\n");
  for (const auto& s : specs_) {
    std::string left = str_cat("  --", s.name, s.takes_value ? " VALUE" : "");
    if (left.size() < 26) left.resize(26, ' ');
    out += str_cat(left, " ", s.help,
                   s.default_value.empty() ? "" : str_cat(" (default: ", s.default_value, ")"),
                   "\n");
  }
  out += "  -h, --help                 show this help\n";
  return out;
}

std::vector<OptionSpec> config_option_specs() {
  return {
      {"set", "override a config key, e.g. --set train.lr=3e-4 (repeatable)", true, true, ""},
      {"verbose", "console log level debug (same as --set runtime.log_level=debug)", false,
       false, ""},
  };
}

Config load_command_config(const Args& args) {
  if (args.positional().size() > 1) args.expect_positional(1, "at most one CONFIG file");
  std::vector<std::string> sets = args.all("set");
  if (args.has("verbose")) sets.push_back("runtime.log_level=debug");
  Config c = args.positional().empty() ? load_config_from_string("", "defaults", sets)
                                       : load_config(args.positional()[0], sets);
  log_set_console_level(parse_log_level(c.runtime.log_level));
  return c;
}

}  // namespace crossover
