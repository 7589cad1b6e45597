// main.cpp — parses `crossover <command> ...` and dispatches. Every error
// reaches the user as one line on stderr and a non-zero exit code.
#include <c10/util/Exception.h>
#include <c10/util/Logging.h>

#include <cstring>
#include <iostream>
#include <new>

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

// An allocation that failed (host or device): one line with a hint, exit 1.
int out_of_memory(const std::string& what) {
  std::cerr << "crossover: error: out of memory: " << what << "; hint: smaller model.* sizes, "
            << "train.micro_batch_size or --num-samples, or more memory (ulimit -v, the "
            << "device's free memory); `crossover plan` estimates what a config needs\n";
  return 1;
}

bool is_allocation_failure(const std::string& what) {
  return what.find("can't allocate memory") != std::string::npos ||
         what.find("out of memory") != std::string::npos ||
         what.find("Cannot allocate memory") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  // The torch wheel turns a failed CAFFE_ENFORCE — the CPU allocator's "can't
  // allocate memory" among them — into LOG(FATAL), i.e. SIGABRT, unless this
  // is off; then it is a c10::Error we can report as one line.
  FLAGS_caffe2_use_fatal_for_enforce = false;
  try {
    return run(argc, argv);
  } catch (const crossover::Error& e) {
    std::cerr << "crossover: error: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const c10::OutOfMemoryError& e) {
    return out_of_memory(first_line(e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    const std::string line = first_line(e.what_without_backtrace());
    if (is_allocation_failure(line)) return out_of_memory(line);
    std::cerr << "crossover: error: " << line << "\n";
    return 1;
  } catch (const std::bad_alloc& e) {
    return out_of_memory(std::string("std::bad_alloc (") + e.what() + ")");
  } catch (const std::exception& e) {
    std::cerr << "crossover: error: " << first_line(e.what()) << "\n";
    return 1;
  }
}
