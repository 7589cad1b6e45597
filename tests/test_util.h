// test_util.h — helpers shared by the test suites: temporary directories,
// writing files, running the crossover binary and capturing its output.
#pragma once

#include <filesystem>
#include <string>

namespace crossover::testing {

// The source tree, the built binary and the venv's python, as absolute paths.
// They are compile definitions of test_util.cpp only, so no other test file's
// command line holds an absolute path and ccache (base_dir) shares the test
// objects between clones and worktrees.
const char* source_dir();
const char* crossover_binary();
const char* python_path();


// A fresh directory removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

struct RunResult {
  int exit_code;
  std::string out;  // stdout and stderr together
};
// Runs the built crossover binary with a shell-quoted argument string.
RunResult run_crossover(const std::string& args);
RunResult run_shell(const std::string& command);

std::string source_path(const std::string& relative);

// A small learnable corpus (48 Python-like documents, ~26k bytes) prepared with
// the byte tokenizer into dir/data (`val_docs` validation documents); returns that path.
std::string make_tiny_dataset(const TempDir& dir, int val_docs = 6);

}  // namespace crossover::testing

#ifndef CROSSOVER_TEST_UTIL_PATHS  // test_util.cpp sees the real definitions
#define CROSSOVER_SOURCE_DIR (::crossover::testing::source_dir())
#define CROSSOVER_BINARY (::crossover::testing::crossover_binary())
#define CROSSOVER_PYTHON (::crossover::testing::python_path())
#endif
