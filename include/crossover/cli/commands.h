// commands.h — every `crossover <command>`; src/main.cpp dispatches to these.
// Each takes the arguments after the command name and returns the exit code;
// errors are thrown as crossover::Error and reported by main.
#pragma once

#include <string>
#include <vector>

namespace crossover {

using CommandFn = int (*)(const std::vector<std::string>& argv);

struct Command {
  const char* name;
  const char* summary;
  CommandFn run;
};

// The registry, in the order `crossover --help` lists them.
const std::vector<Command>& commands();

int cmd_config(const std::vector<std::string>& argv);
int cmd_sweep(const std::vector<std::string>& argv);
int cmd_report(const std::vector<std::string>& argv);
int cmd_fit(const std::vector<std::string>& argv);
int cmd_dist_check(const std::vector<std::string>& argv);
int cmd_data(const std::vector<std::string>& argv);
int cmd_version(const std::vector<std::string>& argv);
int cmd_train(const std::vector<std::string>& argv);
int cmd_bench(const std::vector<std::string>& argv);
int cmd_plan(const std::vector<std::string>& argv);
int cmd_eval(const std::vector<std::string>& argv);
int cmd_sample(const std::vector<std::string>& argv);
int cmd_export(const std::vector<std::string>& argv);

// "crossover 0.1.0 | LibTorch 2.11.0 | CUDA: no | threads: 2"
std::string version_string();

}  // namespace crossover
