#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace crossover::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("crossover_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunResult run_shell(const std::string& command) {
  std::string cmd = command + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  RunResult r{-1, ""};
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

RunResult run_crossover(const std::string& args) {
  return run_shell(std::string(CROSSOVER_BINARY) + " " + args);
}

const char* source_dir() { return CROSSOVER_SOURCE_DIR; }
const char* crossover_binary() { return CROSSOVER_BINARY; }
const char* python_path() { return CROSSOVER_PYTHON; }

std::string source_path(const std::string& relative) {
  return std::string(CROSSOVER_SOURCE_DIR) + "/" + relative;
}

std::string make_tiny_dataset(const TempDir& dir, int val_docs) {
  std::mt19937 rng(7);
  const char* names[] = {"alpha", "beta", "gamma", "delta", "omega", "sigma"};
  for (int d = 0; d < 48; ++d) {
    std::string text;
    for (int f = 0; f < 12; ++f) {
      std::string n = names[rng() % 6];
      text += "def " + n + "_" + std::to_string(f) + "(x, y):\n    return x * " +
              std::to_string(rng() % 10) + " + y  # " + n + "\n\n";
    }
    write_file(dir.file("corpus/doc" + std::to_string(100 + d) + ".py"), text);
  }
  auto r = run_crossover("data prepare --source " + dir.file("corpus") +
                         " --tokenizer byte --val-docs " + std::to_string(val_docs) + " --out " + dir.file("data"));
  if (r.exit_code != 0) throw std::runtime_error("data prepare failed: " + r.out);
  return dir.file("data");
}

}  // namespace crossover::testing
