// sandbox.cpp — see sandbox.h.
//
// Between clone() and execve() the children make raw system calls only, never a
// glibc function that takes a lock: the evaluator is multi-threaded, and a lock
// another thread held at clone() time (a malloc arena, the thread-stack cache,
// stdio's list) stays held forever in the child's copy of memory. glibc's fork()
// takes malloc's and stdio's locks, and its setuid()/setgid()/setgroups() take
// the stack-cache lock to change every thread's credentials; so init starts
// Python with the clone system call, and Python's child drops to the sandbox uid
// with the raw per-thread system calls (it is the only thread there is).
// tests/eval/sandbox_itest.cpp (SpawnsWhileOtherThreadsAllocateAndStartThreads)
// deadlocked within a minute with glibc's fork() in init.
#include "crossover/eval/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "crossover/util/check.h"
#include "crossover/util/file_io.h"
#include "crossover/util/strings.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;

constexpr uid_t kUidBase = 61000;  // sandbox uids 61000..65095 (no passwd entry needed)
constexpr uint32_t kUids = 4096;
constexpr int kExitSetupFailed = 121;  // the child could not set itself up (message in its output)
constexpr int kSignalExitBase = 192;   // init's exit status for "Python was killed by signal s": 192 + s
const char* kUidLockDir = "/tmp/.crossover-sandbox-uids";

// A uid no other sandbox uses while this one runs, in this process or any
// other (RLIMIT_NPROC counts a uid's processes: a fork bomb in one sandbox must
// not starve its neighbours, and no sandbox may see another's processes as its
// own). Held with flock on one lock file per uid; the lock dies with the process.
class UidLease {
 public:
  UidLease() {
    static std::atomic<uint32_t> calls{0};
    ::mkdir(kUidLockDir, 0700);
    const uint32_t start = (static_cast<uint32_t>(::getpid()) * 64 + calls.fetch_add(1)) % kUids;
    for (uint32_t i = 0; i < kUids; ++i) {
      uid_ = kUidBase + (start + i) % kUids;
      const std::string path = str_cat(kUidLockDir, "/", uid_, ".lock");
      fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
      if (fd_ >= 0) ::close(fd_);
    }
    fd_ = -1;
    throw Error(str_cat("no free sandbox uid in ", kUidBase, "..", kUidBase + kUids - 1, " (locks in ",
                        kUidLockDir, ")"));
  }
  ~UidLease() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }
  UidLease(const UidLease&) = delete;
  UidLease& operator=(const UidLease&) = delete;
  uid_t uid() const { return uid_; }

 private:
  uid_t uid_ = 0;
  int fd_ = -1;
};

std::string find_python(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    CROSSOVER_CHECK(::access(name.c_str(), X_OK) == 0, "cannot execute Python at '", name, "'");
    return name;
  }
  std::vector<std::string> dirs = {"/usr/bin", "/bin"};
  if (const char* path = std::getenv("PATH"))
    for (const auto& d : str_split(path, ':')) dirs.push_back(d);
  for (const auto& d : dirs) {
    std::string p = d + "/" + name;
    if (!d.empty() && ::access(p.c_str(), X_OK) == 0) return p;
  }
  throw Error(str_cat("cannot find the Python interpreter '", name, "' in /usr/bin, /bin or PATH; ",
                      "hint: install python3 (apt install python3) or pass --python PATH"));
}

// Everything the child needs, prepared before clone() (no allocation after it).
struct ChildPlan {
  const char* dir;
  const char* out_path;
  const char* python;
  char* const* argv;
  char* const* envp;
  uid_t uid;  // (uid_t)-1: keep ours
  rlim_t cpu_s, as_bytes, fsize_bytes, nproc;
};

void child_fail(const char* what) {
  const char* prefix = "crossover-sandbox: ";
  (void)!::write(2, prefix, std::strlen(prefix));
  (void)!::write(2, what, std::strlen(what));
  (void)!::write(2, "\n", 1);
  ::_exit(kExitSetupFailed);
}

void set_limit(int resource, rlim_t value) {
  struct rlimit rl = {value, value};
  ::setrlimit(resource, &rl);
}

// The clone()d child: in a new PID namespace it is that namespace's init, which
// ignores every signal it has no handler for (so Python must not be init: its
// own os.kill(os.getpid(), SIGSEGV) would be a no-op). It sets up the limits,
// forks the Python process, waits for it and passes its fate on: the exit
// status, or kSignalExitBase + signal. When init exits, the kernel kills
// everything left in the namespace.
[[noreturn]] void child_init(const ChildPlan& p) {
  ::setsid();
  int out = ::open(p.out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (out < 0) child_fail("cannot open the output file");
  ::dup2(out, 1);
  ::dup2(out, 2);
  int in = ::open("/dev/null", O_RDONLY);
  if (in >= 0) ::dup2(in, 0);
  if (::chdir(p.dir) != 0) child_fail("cannot enter the sandbox directory");
  set_limit(RLIMIT_CPU, p.cpu_s);
  set_limit(RLIMIT_AS, p.as_bytes);
  set_limit(RLIMIT_FSIZE, p.fsize_bytes);
  // Only under a leased uid: without root, RLIMIT_NPROC would count every process
  // of the user running the evaluator (and could stop Python from starting at all).
  if (p.uid != static_cast<uid_t>(-1)) set_limit(RLIMIT_NPROC, p.nproc);
  set_limit(RLIMIT_CORE, 0);
  set_limit(RLIMIT_NOFILE, 256);
  // No inherited descriptors beyond 0-2.
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
    for (int fd = 3; fd < 4096; ++fd) ::close(fd);
  const long py = ::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (py < 0) child_fail("cannot start the Python process");
  if (py == 0) {
    if (p.uid != static_cast<uid_t>(-1)) {
      if (::syscall(SYS_setgroups, 0, nullptr) != 0 || ::syscall(SYS_setgid, p.uid) != 0 ||
          ::syscall(SYS_setuid, p.uid) != 0)
        child_fail("cannot drop to the sandbox uid");
    }
    ::execve(p.python, p.argv, p.envp);
    child_fail("cannot execute the Python interpreter");
  }
  int status = 0;
  while (::waitpid(static_cast<pid_t>(py), &status, 0) < 0)
    if (errno != EINTR) child_fail("lost the Python process");
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  ::_exit(kSignalExitBase + (WTERMSIG(status) & 63));
}

// clone() with the strongest namespaces allowed; returns the child's pid (or -1)
// and which namespaces it got.
pid_t spawn(const ChildPlan& plan, bool root, bool* pid_ns, std::string* isolation) {
  struct Attempt {
    unsigned long flags;
    const char* name;
  };
  std::vector<Attempt> attempts;
  if (root) attempts.push_back({CLONE_NEWPID | CLONE_NEWNET, "pid+net namespaces"});
  attempts.push_back({CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET, "user+pid+net namespaces"});
  attempts.push_back({0, "process group only (namespaces refused)"});
  for (const auto& a : attempts) {
    long r = ::syscall(SYS_clone, a.flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (r == 0) child_init(plan);
    if (r > 0) {
      *pid_ns = (a.flags & CLONE_NEWPID) != 0;
      *isolation = a.name;
      return static_cast<pid_t>(r);
    }
    if (errno != EPERM && errno != EINVAL && errno != ENOSPC && errno != EUSERS) break;
  }
  return -1;
}

// Removes a tree the program may have made unreadable (chmod 000 directories).
void force_remove(const fs::path& p) {
  std::error_code ec;
  auto st = fs::symlink_status(p, ec);
  if (ec) return;
  if (fs::is_directory(st)) {
    ::chmod(p.c_str(), 0700);
    fs::directory_iterator it(p, ec), end;
    for (; !ec && it != end; it.increment(ec)) force_remove(it->path());
  }
  fs::remove(p, ec);
}

std::string output_tail(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return "";
  auto size = static_cast<int64_t>(f.tellg());
  int64_t from = std::max<int64_t>(0, size - 4096);
  f.seekg(from);
  std::string s(static_cast<size_t>(size - from), '\0');
  f.read(s.data(), static_cast<std::streamsize>(s.size()));
  return s;
}

std::string last_line(const std::string& text) {
  auto lines = str_split(text, '\n');
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    std::string t = str_trim(*it);
    if (!t.empty()) return t.size() > 200 ? t.substr(0, 200) + "..." : t;
  }
  return "";
}

void classify_signal(int sig, const ChildPlan& plan, const SandboxOptions& opts, SandboxResult* res) {
  res->signal = sig;
  if (sig == SIGXCPU || (sig == SIGKILL && res->seconds >= static_cast<double>(plan.cpu_s) - 1)) {
    res->status = "timeout";
    res->reason = str_cat("CPU-time limit of ", plan.cpu_s, " s");
  } else if (sig == SIGXFSZ) {
    res->status = "failed";
    res->reason = str_cat("file-size limit of ", opts.max_file_mb, " MB");
  } else {
    res->status = "crashed";
    res->reason = str_cat("killed by signal ", sig, " (", strsignal(sig), ")");
  }
}

}  // namespace

SandboxResult run_python_sandboxed(const std::string& program, const SandboxOptions& opts) {
  CROSSOVER_CHECK(opts.timeout_s > 0 && opts.memory_mb > 0 && opts.max_processes > 0 &&
                      opts.max_file_mb > 0,
                  "sandbox limits must be positive (timeout ", opts.timeout_s, " s, memory ",
                  opts.memory_mb, " MB, processes ", opts.max_processes, ", file ", opts.max_file_mb, " MB)");
  const std::string py = find_python(opts.python);
  std::string root_dir = opts.tmp_root;
  if (root_dir.empty()) {
    const char* t = std::getenv("TMPDIR");
    root_dir = t && *t ? t : "/tmp";
  }
  std::string templ = root_dir + "/crossover-sbx-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  CROSSOVER_CHECK(::mkdtemp(buf.data()) != nullptr, "cannot make a sandbox directory under '",
                  root_dir, "': ", std::strerror(errno), "; hint: is the disk full or --tmp unwritable?");
  const std::string dir = buf.data();
  const std::string prog_path = dir + "/program.py", out_path = dir + "/output.txt";

  SandboxResult res;
  const bool root = ::geteuid() == 0;
  std::unique_ptr<UidLease> lease;
  try {
    if (root) lease = std::make_unique<UidLease>();
    write_file_synced(prog_path, program);
  } catch (const std::exception& e) {
    force_remove(dir);
    throw;
  }
  const uid_t uid = root ? lease->uid() : static_cast<uid_t>(-1);
  if (root) {
    (void)!::chown(dir.c_str(), uid, uid);
    (void)!::chown(prog_path.c_str(), uid, uid);
  }
  ::chmod(dir.c_str(), 0700);

  const std::string home = "HOME=" + dir, tmp = "TMPDIR=" + dir;
  std::vector<std::string> env_s = {"PATH=/usr/bin:/bin", home, tmp, "LANG=C.UTF-8"};
  std::vector<std::string> argv_s = {"python3", "-I", "-B", "program.py"};
  std::vector<char*> envp, argv;
  for (auto& s : env_s) envp.push_back(s.data());
  for (auto& s : argv_s) argv.push_back(s.data());
  envp.push_back(nullptr);
  argv.push_back(nullptr);
  const double timeout = opts.timeout_s;
  ChildPlan plan{dir.c_str(), out_path.c_str(), py.c_str(), argv.data(), envp.data(), uid,
                 static_cast<rlim_t>(std::ceil(timeout)) + 1,
                 static_cast<rlim_t>(opts.memory_mb) << 20, static_cast<rlim_t>(opts.max_file_mb) << 20,
                 static_cast<rlim_t>(opts.max_processes)};

  Stopwatch wall;
  bool pid_ns = false;
  pid_t pid = spawn(plan, root, &pid_ns, &res.isolation);
  if (pid < 0) {
    res.status = "error";
    res.reason = str_cat("cannot start a child process: ", std::strerror(errno));
  } else {
    if (root) res.isolation += str_cat(", uid ", uid);
    int status = 0;
    bool timed_out = false;
    int sleep_us = 500;
    for (;;) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) break;
      if (wall.seconds() > timeout) {
        // Killing a PID namespace's init kills everything in it; otherwise the group.
        ::kill(pid, SIGKILL);
        if (!pid_ns) ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
      sleep_us = std::min(sleep_us * 2, 20000);
    }
    if (!pid_ns) ::kill(-pid, SIGKILL);  // background children left in its group
    res.seconds = wall.seconds();
    const std::string out = output_tail(out_path);
    if (timed_out) {
      res.status = "timeout";
      res.reason = str_cat("wall-clock limit of ", timeout, " s");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) > kSignalExitBase &&
               WEXITSTATUS(status) < kSignalExitBase + 64) {
      classify_signal(WEXITSTATUS(status) - kSignalExitBase, plan, opts, &res);
    } else if (WIFEXITED(status)) {
      res.exit_code = WEXITSTATUS(status);
      if (res.exit_code == 0) {
        res.status = "passed";
      } else if (res.exit_code == kExitSetupFailed && out.find("crossover-sandbox: ") != std::string::npos) {
        res.status = "error";
        res.reason = last_line(out);
      } else {
        res.status = "failed";
        res.reason = last_line(out);
        if (res.reason.empty()) res.reason = str_cat("exit status ", res.exit_code);
      }
    } else if (WIFSIGNALED(status)) {
      classify_signal(WTERMSIG(status), plan, opts, &res);
    } else {
      res.status = "error";
      res.reason = "lost the child process";
    }
  }
  lease.reset();
  force_remove(dir);
  std::error_code ec;
  if (fs::exists(dir, ec)) res.reason += str_cat(" (note: could not remove ", dir, ")");
  return res;
}

}  // namespace crossover
