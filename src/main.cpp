// main.cpp — parses `crossover <command> ...` and dispatches. Every error
// reaches the user as one line on stderr and a non-zero exit code.
#include <c10/util/Exception.h>

#include <cstring>
#include <iostream>

#include "crossover/cli/commands.h"
#include "crossover/util/check.h"

namespace {

void print_help() {
  std::cout << "usage: crossover <command> [options]\n\n"
               "Train and compare autoregressive and masked-diffusion language models on\n"
               "repeated data.\n\ncommands:\n";
  for (const auto& c : crossover::commands()) {
    std::string name = c.name;
    name.resize(12, ' ');
    std::cout << "  " << name << c.summary << "\n";
  }
  std::cout << "\n  --version   same as 'crossover version'\n"
               "  --help      this help; 'crossover <command> --help' for a command\n";
}

int run(int argc, char** argv) {
  using namespace crossover;
  if (argc < 2) {
    print_help();
    return static_cast<int>(ExitCode::kUsage);
  }
  std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    print_help();
    return 0;
  }
  if (name == "--version" || name == "-V") name = "version";
  std::vector<std::string> rest(argv + 2, argv + argc);
  std::vector<std::string> names;
  for (const auto& c : commands()) {
    if (name == c.name) return c.run(rest);
    names.push_back(c.name);
  }
  throw UsageError(str_cat("unknown command '", name, "'", did_you_mean(name, names),
                           "; see 'crossover --help'"));
}

// One line: torch errors carry a multi-line backtrace we do not show.
std::string first_line(const char* what) {
  std::string s = what;
  size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const crossover::Error& e) {
    std::cerr << "crossover: error: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const c10::Error& e) {
    std::cerr << "crossover: error: " << first_line(e.what_without_backtrace()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "crossover: error: " << first_line(e.what()) << "\n";
    return 1;
  }
}
