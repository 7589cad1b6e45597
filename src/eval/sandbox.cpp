// sandbox.cpp — see sandbox.h.
//
// Between clone() and execve() the children make raw system calls only, never a
// glibc function that takes a lock: the evaluator is multi-threaded, and a lock
// another thread held at clone() time (a malloc arena, the thread-stack cache,
// stdio's list) stays held forever in the child's copy of memory. glibc's fork()
// takes malloc's and stdio's locks, and its setuid()/setgid()/setgroups() take
// the stack-cache lock to change every thread's credentials; so init starts
// Python with the clone system call, and Python's child drops to the sandbox uid
// with the raw per-thread system calls (it is the only thread there is). Every
// path, mount option and the program text are prepared before clone() (ChildPlan);
// mount(), mkdir(), chown(), open(), write() and fcntl() are plain system-call
// wrappers.
// tests/eval/sandbox_itest.cpp (SpawnsWhileOtherThreadsAllocateAndStartThreads)
// deadlocked within a minute with glibc's fork() in init.
#include "crossover/eval/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
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
constexpr int kTokenFd = 3, kResultFd = 4;  // the pass-token pair (sandbox.h)
constexpr size_t kTokenHex = 32;            // 128 bits
constexpr int64_t kTmpfsInodes = 16384;
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

std::string read_small_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool write_small_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

bool has_word(const std::string& text, const std::string& word, char sep) {
  for (const auto& w : str_split(str_trim(text), sep))
    if (str_trim(w) == word) return true;
  return false;
}

// The directory of this process's cgroup in the hierarchy mounted at `mount_point`
// whose root is `mount_root`; "" when this process's cgroup lies outside that mount.
std::string cgroup_dir(const std::string& mount_point, const std::string& mount_root,
                       const std::string& rel) {
  if (mount_root == "/") return mount_point + rel;
  if (rel == mount_root) return mount_point;
  if (str_starts_with(rel, mount_root + "/")) return mount_point + rel.substr(mount_root.size());
  return "";
}

// mkdir a throwaway child of `base` and check it has `control`.
bool can_make_child_cgroup(const std::string& base, const char* control) {
  const std::string probe = str_cat(base, "/crossover-probe-", ::getpid());
  if (::mkdir(probe.c_str(), 0755) != 0 && errno != EEXIST) return false;
  const bool ok = ::access((probe + "/" + control).c_str(), W_OK) == 0;
  ::rmdir(probe.c_str());
  return ok;
}

// Where per-sandbox memory cgroups can be made: cgroup v2 where this process's
// cgroup delegates the memory controller to its children, else cgroup v1's
// memory hierarchy; "" when neither is writable.
std::string find_memory_cgroup(int* version) {
  std::string v2_rel, v1_rel;
  bool have_v2 = false, have_v1 = false;
  {
    std::ifstream f("/proc/self/cgroup");
    for (std::string line; std::getline(f, line);) {
      const auto a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      const std::string id = line.substr(0, a), ctrl = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
      if (id == "0" && ctrl.empty()) {
        v2_rel = path;
        have_v2 = true;
      } else if (has_word(ctrl, "memory", ',')) {
        v1_rel = path;
        have_v1 = true;
      }
    }
  }
  std::string v1_base;
  std::ifstream f("/proc/self/mountinfo");
  for (std::string line; std::getline(f, line);) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    const auto left = str_split(line.substr(0, dash), ' '), right = str_split(line.substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    const std::string& root = left[3];
    const std::string& point = left[4];
    if (right[0] == "cgroup2" && have_v2) {
      const std::string base = cgroup_dir(point, root, v2_rel);
      if (!base.empty() && has_word(read_small_file(base + "/cgroup.subtree_control"), "memory", ' ') &&
          can_make_child_cgroup(base, "memory.max")) {
        *version = 2;
        return base;
      }
    } else if (right[0] == "cgroup" && have_v1 && v1_base.empty() && has_word(right[2], "memory", ',')) {
      const std::string base = cgroup_dir(point, root, v1_rel);
      if (!base.empty() && can_make_child_cgroup(base, "memory.limit_in_bytes")) v1_base = base;
    }
  }
  if (!v1_base.empty()) *version = 1;
  return v1_base;
}

// One sandbox's memory cgroup: every process of the sandbox and every page it
// puts in its tmpfs count against one limit; the kernel's OOM killer acts inside it.
class MemoryCgroup {
 public:
  MemoryCgroup(const SandboxIsolation& iso, int64_t bytes) : v2_(iso.cgroup_version == 2) {
    if (iso.memory_cgroup.empty()) return;
    static std::atomic<uint64_t> calls{0};
    path_ = str_cat(iso.memory_cgroup, "/crossover-sbx-", ::getpid(), "-", calls.fetch_add(1));
    if (::mkdir(path_.c_str(), 0755) != 0) {
      path_.clear();
      return;
    }
    const bool ok = write(v2_ ? "memory.max" : "memory.limit_in_bytes", bytes);
    // No swap on top (best effort: the files exist only with swap accounting).
    if (v2_) write("memory.swap.max", 0);
    else write("memory.memsw.limit_in_bytes", bytes);
    if (!ok) remove();
  }
  ~MemoryCgroup() { remove(); }
  MemoryCgroup(const MemoryCgroup&) = delete;
  MemoryCgroup& operator=(const MemoryCgroup&) = delete;
  bool active() const { return !path_.empty(); }
  bool attach(pid_t pid) { return active() && write("cgroup.procs", pid); }
  // Processes the kernel killed for the limit (memory.events / memory.oom_control).
  int64_t oom_kills() const {
    if (!active()) return 0;
    std::istringstream in(read_small_file(path_ + (v2_ ? "/memory.events" : "/memory.oom_control")));
    std::string key;
    int64_t value = 0;
    while (in >> key >> value)
      if (key == "oom_kill") return value;
    return 0;
  }
  // Empty once init is reaped (its PID namespace's processes die before it is);
  // the kernel may still be finishing, so retry briefly (bounded).
  void remove() {
    if (path_.empty()) return;
    for (int i = 0; i < 200 && ::rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    path_.clear();
  }

 private:
  bool write(const char* file, int64_t value) { return write_small_file(path_ + "/" + file, std::to_string(value)); }
  std::string path_;
  bool v2_;
};

// A throwaway clone() into every namespace the sandbox uses, with the mounts it
// makes there (private propagation, a tmpfs, a fresh /proc).
bool probe_namespaces() {
  const long r = ::syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | SIGCHLD,
                           nullptr, nullptr, nullptr, nullptr);
  if (r == 0) {
    const bool ok = ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
                    ::mount("crossover-probe", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") == 0 &&
                    ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
    ::_exit(ok ? 0 : 1);
  }
  if (r < 0) return false;
  int status = 0;
  while (::waitpid(static_cast<pid_t>(r), &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string random_token() {
  unsigned char bytes[kTokenHex / 2];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0 && errno == EINTR) continue;
    CROSSOVER_CHECK(n > 0, "cannot draw the sandbox's pass token: getrandom: ", std::strerror(errno));
    got += static_cast<size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string t;
  for (unsigned char b : bytes) {
    t += hex[b >> 4];
    t += hex[b & 15];
  }
  return t;
}

// The descriptors of one call: output (memfd for stdout+stderr), the token's
// pipe (read end; the write end is closed once the token is in), the result
// memfd the epilogue writes the token to, and the start signal for init.
struct Channels {
  int out = -1, token = -1, result = -1, go_read = -1, go_write = -1;
  Channels() = default;
  Channels(const Channels&) = delete;
  Channels& operator=(const Channels&) = delete;
  ~Channels() {
    for (int fd : {out, token, result, go_read, go_write})
      if (fd >= 0) ::close(fd);
  }
  void close_go() {
    if (go_read >= 0) ::close(go_read);
    if (go_write >= 0) ::close(go_write);
    go_read = go_write = -1;
  }
};

void open_channels(Channels* ch, const std::string& token) {
  ch->out = ::memfd_create("crossover-sandbox-output", MFD_CLOEXEC);
  ch->result = ::memfd_create("crossover-sandbox-result", MFD_CLOEXEC);
  int p[2] = {-1, -1}, go[2] = {-1, -1};
  const bool piped = ::pipe2(p, O_CLOEXEC) == 0;
  if (piped) {
    ch->token = p[0];
    const bool wrote = ::write(p[1], token.data(), token.size()) == static_cast<ssize_t>(token.size());
    ::close(p[1]);
    if (!wrote) ch->token = -1, ::close(p[0]);
  }
  if (::pipe2(go, O_CLOEXEC) == 0) ch->go_read = go[0], ch->go_write = go[1];
  CROSSOVER_CHECK(ch->out >= 0 && ch->result >= 0 && ch->token >= 0 && ch->go_read >= 0,
                  "cannot make the sandbox's descriptors (memfd_create, pipe2): ", std::strerror(errno));
}

// At most `cap` bytes from the end (or the start) of a memory file of ours.
std::string read_fd(int fd, size_t cap, bool tail) {
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return "";
  const auto size = static_cast<size_t>(st.st_size);
  const size_t n = std::min(size, cap);
  std::string s(n, '\0');
  const ssize_t got = ::pread(fd, s.data(), n, static_cast<off_t>(tail ? size - n : 0));
  s.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return s;
}

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

constexpr int kMaxBinds = 5;
constexpr int kMaxPrefixes = 64;

// Everything the child needs, prepared before clone() (no allocation after it).
struct ChildPlan {
  const char* dir;  // the work dir's path, on the host and inside
  const char* python;
  char* const* argv;
  char* const* envp;
  uid_t uid;  // (uid_t)-1: keep ours
  rlim_t cpu_s, as_bytes, fsize_bytes, nproc;
  int go_fd;  // init waits for one byte here (the evaluator has put it in its cgroup)
  int out_fd, token_fd, result_fd;
  const char* program;  // the text of program.py
  size_t program_size;
  // Mount namespace only: one tmpfs at dir holding home/ (bound back over dir) and
  // the directories bound over /tmp, /var/tmp, /dev/shm and /run.
  bool mounts;
  const char* tmpfs_options;
  int binds;
  const char* bind_src[kMaxBinds];  // relative to the tmpfs's root
  const char* bind_dst[kMaxBinds];
  mode_t bind_mode[kMaxBinds];
  const char* dir_prefixes[kMaxPrefixes + 1];  // "/a", "/a/b", ... dir; nullptr-terminated
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

// 0 = /dev/null, 1 and 2 = the output memfd, 3 = the token pipe, 4 = the result
// memfd; nothing else. The sources go above 9 first so no dup2 clobbers another.
void child_descriptors(const ChildPlan& p) {
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int i = ::fcntl(in, F_DUPFD, 10), o = ::fcntl(p.out_fd, F_DUPFD, 10);
  const int t = ::fcntl(p.token_fd, F_DUPFD, 10), r = ::fcntl(p.result_fd, F_DUPFD, 10);
  if (o < 0 || ::dup2(o, 1) < 0 || ::dup2(o, 2) < 0) ::_exit(kExitSetupFailed);  // nowhere to say it
  if (i < 0 || t < 0 || r < 0 || ::dup2(i, 0) < 0 || ::dup2(t, kTokenFd) < 0 || ::dup2(r, kResultFd) < 0)
    child_fail("cannot set up the descriptors");
  if (::syscall(SYS_close_range, 5U, ~0U, 0U) != 0)
    for (int fd = 5; fd < 4096; ++fd) ::close(fd);
}

// The private filesystem view (sandbox.h): mounts stay in this namespace, and the
// tmpfs (and everything in it) goes when its last process does.
void child_mounts(const ChildPlan& p) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    child_fail("cannot make the mounts private");
  if (::mount("crossover-sandbox", p.dir, "tmpfs", MS_NOSUID | MS_NODEV, p.tmpfs_options) != 0)
    child_fail("cannot mount the sandbox's tmpfs");
  if (::chdir(p.dir) != 0) child_fail("cannot enter the sandbox's tmpfs");
  if (::mkdir("home", 0700) != 0) child_fail("cannot make the work directory");
  if (p.uid != static_cast<uid_t>(-1) && ::chown("home", p.uid, p.uid) != 0)
    child_fail("cannot give the work directory to the sandbox uid");
  for (int b = 0; b < p.binds; ++b) {
    if (::mkdir(p.bind_src[b], 0700) != 0 || ::chmod(p.bind_src[b], p.bind_mode[b]) != 0)
      child_fail("cannot make the private /tmp, /var/tmp, /dev/shm or /run");
    // The source resolves against the cwd (the tmpfs's root), whatever the binds hide.
    if (::mount(p.bind_src[b], p.bind_dst[b], nullptr, MS_BIND, nullptr) != 0)
      child_fail("cannot mount the private /tmp, /var/tmp, /dev/shm or /run");
  }
  // A bind over /tmp (say) hid the work dir's path: make it again in the new view.
  for (int i = 0; p.dir_prefixes[i]; ++i) ::mkdir(p.dir_prefixes[i], 0755);
  if (::mount("home", p.dir, nullptr, MS_BIND, nullptr) != 0) child_fail("cannot mount the work directory");
  // This namespace's own processes only (the host's /proc would list the host's).
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    child_fail("cannot mount /proc");
}

void child_write_program(const ChildPlan& p) {
  const int fd = ::open("program.py", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) child_fail("cannot write program.py");
  for (size_t done = 0; done < p.program_size;) {
    const ssize_t n = ::write(fd, p.program + done, p.program_size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) child_fail("cannot write program.py");
    done += static_cast<size_t>(n);
  }
  if (p.uid != static_cast<uid_t>(-1) && ::fchown(fd, p.uid, p.uid) != 0)
    child_fail("cannot give program.py to the sandbox uid");
  ::close(fd);
}

// The clone()d child: in a new PID namespace it is that namespace's init, which
// ignores every signal it has no handler for (so Python must not be init: its
// own os.kill(os.getpid(), SIGSEGV) would be a no-op). It waits until the
// evaluator has placed it in its memory cgroup, sets up descriptors, mounts and
// limits, forks the Python process, waits for it and passes its fate on: the exit
// status, or kSignalExitBase + signal. When init exits, the kernel kills
// everything left in the namespace.
[[noreturn]] void child_init(const ChildPlan& p) {
  char go = 0;
  while (::read(p.go_fd, &go, 1) < 0 && errno == EINTR) {}
  ::setsid();
  child_descriptors(p);
  if (p.mounts) child_mounts(p);
  if (::chdir(p.dir) != 0) child_fail("cannot enter the sandbox directory");
  child_write_program(p);
  set_limit(RLIMIT_CPU, p.cpu_s);
  set_limit(RLIMIT_AS, p.as_bytes);
  set_limit(RLIMIT_FSIZE, p.fsize_bytes);
  // Only under a leased uid: without root, RLIMIT_NPROC would count every process
  // of the user running the evaluator (and could stop Python from starting at all).
  if (p.uid != static_cast<uid_t>(-1)) set_limit(RLIMIT_NPROC, p.nproc);
  set_limit(RLIMIT_CORE, 0);
  set_limit(RLIMIT_NOFILE, 256);
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

struct Spawned {
  pid_t pid = -1;
  bool pid_ns = false, mounts = false;
  std::string isolation;
};

// clone() with the namespaces `iso` allows: all of them, or (unsafe_exec only)
// what is left. The child gets a copy of `plan` saying whether it may mount.
Spawned spawn(const ChildPlan& plan, const SandboxIsolation& iso, bool unsafe_exec) {
  struct Attempt {
    unsigned long flags;
    const char* name;
  };
  std::vector<Attempt> attempts;
  if (iso.root && iso.namespaces)
    attempts.push_back({CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC, "pid+net+mount+ipc namespaces"});
  if (unsafe_exec && !(iso.root && iso.namespaces)) {
    // Without root a user namespace still gives PID and network namespaces (as root
    // it would not help: the leased uid is not mapped in it).
    if (!iso.root)
      attempts.push_back({CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET,
                          "UNSAFE (--unsafe-exec): user+pid+net namespaces, runs as the evaluator's user"});
    attempts.push_back({0, iso.root ? "UNSAFE (--unsafe-exec): process group only (namespaces refused)"
                                    : "UNSAFE (--unsafe-exec): process group only, runs as the evaluator's user"});
  }
  Spawned s;
  for (const auto& a : attempts) {
    ChildPlan p = plan;
    p.mounts = (a.flags & CLONE_NEWNS) != 0;
    const long r = ::syscall(SYS_clone, a.flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (r == 0) child_init(p);
    if (r > 0) {
      s.pid = static_cast<pid_t>(r);
      s.pid_ns = (a.flags & CLONE_NEWPID) != 0;
      s.mounts = p.mounts;
      s.isolation = a.name;
      return s;
    }
    if (errno != EPERM && errno != EINVAL && errno != ENOSPC && errno != EUSERS) break;
  }
  return s;
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

// A directory to hide behind a bind; `follow`: also through a symlink (/tmp -> /private/tmp).
bool is_dir(const char* path, bool follow) {
  struct stat st;
  return (follow ? ::stat(path, &st) : ::lstat(path, &st)) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

const SandboxIsolation& probe_sandbox_isolation() {
  static const SandboxIsolation iso = [] {
    SandboxIsolation s;
    s.root = ::geteuid() == 0;
    s.namespaces = s.root && probe_namespaces();
    if (s.root) s.memory_cgroup = find_memory_cgroup(&s.cgroup_version);
    return s;
  }();
  return iso;
}

std::string sandbox_isolation_missing(const SandboxIsolation& iso) {
  if (!iso.root)
    return str_cat("not running as root (uid ", ::geteuid(), "), so the program would run as this user, able to ",
                   "read, change and delete its files, with no private /tmp, /dev/shm or IPC and no memory cgroup");
  if (!iso.namespaces)
    return "the kernel refused the PID, network, mount and IPC namespaces or a tmpfs mount in them (a "
           "container without CAP_SYS_ADMIN?), so the program could outlive the call, reach the network and "
           "leave files in /tmp";
  return "";
}

void require_sandbox_isolation(bool unsafe_exec, const SandboxIsolation* assume) {
  const SandboxIsolation& iso = assume ? *assume : probe_sandbox_isolation();
  const std::string missing = sandbox_isolation_missing(iso);
  if (missing.empty() || unsafe_exec) return;
  throw Error(str_cat("refusing to execute generated code: ", missing,
                      "; hint: run as root on a machine that allows namespaces (docs/eval.md, the sandbox), ",
                      "or pass --unsafe-exec to run it with what is left"));
}

const std::string& sandbox_pass_epilogue() {
  static const std::string e =
      "\n"
      "# crossover sandbox: the program ran to its end; hand the evaluator its pass token (eval/sandbox.h)\n"
      "import os as _crossover_os, sys as _crossover_sys\n"
      "_crossover_sys.stdout.flush()\n"
      "_crossover_sys.stderr.flush()\n"
      "_crossover_os.write(4, _crossover_os.read(3, 64))\n"
      "_crossover_os._exit(0)\n";
  return e;
}

SandboxResult run_python_sandboxed(const std::string& program, const SandboxOptions& opts) {
  CROSSOVER_CHECK(opts.timeout_s > 0 && opts.memory_mb > 0 && opts.max_processes > 0 &&
                      opts.max_file_mb > 0 && opts.disk_mb > 0,
                  "sandbox limits must be positive (timeout ", opts.timeout_s, " s, memory ",
                  opts.memory_mb, " MB, processes ", opts.max_processes, ", file ", opts.max_file_mb,
                  " MB, disk ", opts.disk_mb, " MB)");
  const SandboxIsolation& iso = opts.assume_isolation ? *opts.assume_isolation : probe_sandbox_isolation();
  require_sandbox_isolation(opts.unsafe_exec, &iso);
  const std::string py = find_python(opts.python);
  std::string root_dir = opts.tmp_root;
  if (root_dir.empty()) {
    const char* t = std::getenv("TMPDIR");
    root_dir = t && *t ? t : "/tmp";
  }
  std::string root_abs = fs::absolute(root_dir).lexically_normal().string();  // the mounts need a plain path
  while (root_abs.size() > 1 && root_abs.back() == '/') root_abs.pop_back();
  std::string templ = (root_abs == "/" ? "" : root_abs) + "/crossover-sbx-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  CROSSOVER_CHECK(::mkdtemp(buf.data()) != nullptr, "cannot make a sandbox directory under '",
                  root_dir, "': ", std::strerror(errno), "; hint: is the disk full or --tmp unwritable?");
  const std::string dir = buf.data();

  SandboxResult res;
  std::unique_ptr<UidLease> lease;
  std::unique_ptr<MemoryCgroup> cgroup;
  Channels ch;
  std::string token;
  try {
    token = random_token();
    if (iso.root) lease = std::make_unique<UidLease>();
    open_channels(&ch, token);
  } catch (const std::exception& e) {
    force_remove(dir);
    throw;
  }
  const uid_t uid = iso.root ? lease->uid() : static_cast<uid_t>(-1);
  if (iso.root) (void)!::chown(dir.c_str(), uid, uid);  // the work dir itself where nothing is mounted on it
  ::chmod(dir.c_str(), 0700);
  if (iso.root && iso.namespaces) cgroup = std::make_unique<MemoryCgroup>(iso, opts.memory_mb << 20);

  const std::string home = "HOME=" + dir, tmp = "TMPDIR=" + dir;
  std::vector<std::string> env_s = {"PATH=/usr/bin:/bin", home, tmp, "LANG=C.UTF-8"};
  std::vector<std::string> argv_s = {"python3", "-I", "-B", "program.py"};
  std::vector<char*> envp, argv;
  for (auto& s : env_s) envp.push_back(s.data());
  for (auto& s : argv_s) argv.push_back(s.data());
  envp.push_back(nullptr);
  argv.push_back(nullptr);
  const std::string text = program + sandbox_pass_epilogue();
  const std::string tmpfs_options = str_cat("size=", opts.disk_mb, "m,nr_inodes=", kTmpfsInodes, ",mode=0755");
  std::vector<std::string> prefixes;
  for (size_t at = dir.find('/', 1); at != std::string::npos; at = dir.find('/', at + 1))
    prefixes.push_back(dir.substr(0, at));
  prefixes.push_back(dir);
  CROSSOVER_CHECK(prefixes.size() <= static_cast<size_t>(kMaxPrefixes), "sandbox directory '", dir,
                  "' is nested too deep; hint: --tmp a shorter path");
  const double timeout = opts.timeout_s;
  ChildPlan plan{};
  plan.dir = dir.c_str();
  plan.python = py.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.uid = uid;
  plan.cpu_s = static_cast<rlim_t>(std::ceil(timeout)) + 1;
  plan.as_bytes = static_cast<rlim_t>(opts.memory_mb) << 20;
  plan.fsize_bytes = static_cast<rlim_t>(opts.max_file_mb) << 20;
  plan.nproc = static_cast<rlim_t>(opts.max_processes);
  plan.go_fd = ch.go_read;
  plan.out_fd = ch.out;
  plan.token_fd = ch.token;
  plan.result_fd = ch.result;
  plan.program = text.data();
  plan.program_size = text.size();
  plan.tmpfs_options = tmpfs_options.c_str();
  struct Bind {
    const char *src, *dst;
    mode_t mode;
  };
  // /var/run is a symlink to /run on current systems (then the /run bind covers it).
  for (const Bind& b : {Bind{"tmp", "/tmp", 01777}, Bind{"var_tmp", "/var/tmp", 01777},
                        Bind{"dev_shm", "/dev/shm", 01777}, Bind{"run", "/run", 0755},
                        Bind{"var_run", "/var/run", 0755}}) {
    if (!is_dir(b.dst, /*follow=*/std::strcmp(b.dst, "/var/run") != 0)) continue;
    plan.bind_src[plan.binds] = b.src;
    plan.bind_dst[plan.binds] = b.dst;
    plan.bind_mode[plan.binds] = b.mode;
    ++plan.binds;
  }
  for (size_t i = 0; i < prefixes.size(); ++i) plan.dir_prefixes[i] = prefixes[i].c_str();
  plan.dir_prefixes[prefixes.size()] = nullptr;

  Stopwatch wall;
  Spawned sp = spawn(plan, iso, opts.unsafe_exec);
  const int spawn_errno = errno;
  bool in_cgroup = false;
  if (sp.pid > 0 && cgroup && cgroup->active()) in_cgroup = cgroup->attach(sp.pid);
  if (ch.go_write >= 0) (void)!::write(ch.go_write, "g", 1);  // init may start now
  ch.close_go();
  const pid_t pid = sp.pid;
  if (pid < 0) {
    res.status = "error";
    res.reason = str_cat("cannot start a child process: ", std::strerror(spawn_errno));
  } else {
    res.isolation = sp.isolation;
    if (sp.mounts) res.isolation += str_cat(", private tmpfs ", opts.disk_mb, " MB");
    res.isolation += in_cgroup ? str_cat(", memory cgroup v", iso.cgroup_version, " ", opts.memory_mb, " MB")
                               : str_cat(", memory: RLIMIT_AS ", opts.memory_mb,
                                         " MB per process only (no writable memory cgroup)");
    if (iso.root) res.isolation += str_cat(", uid ", uid);
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
        if (!sp.pid_ns) ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
      sleep_us = std::min(sleep_us * 2, 20000);
    }
    if (!sp.pid_ns) ::kill(-pid, SIGKILL);  // background children left in its group
    res.seconds = wall.seconds();
    // Only our own memory files are read (never a path in the sandbox): no symlink
    // or FIFO can redirect or block this, and the bytes are capped.
    const std::string out = read_fd(ch.out, 4096, /*tail=*/true);
    const std::string proof = read_fd(ch.result, 2 * kTokenHex, /*tail=*/false);
    const int64_t oom_kills = cgroup ? cgroup->oom_kills() : 0;
    if (timed_out) {
      res.status = "timeout";
      res.reason = str_cat("wall-clock limit of ", timeout, " s");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) > kSignalExitBase &&
               WEXITSTATUS(status) < kSignalExitBase + 64) {
      classify_signal(WEXITSTATUS(status) - kSignalExitBase, plan, opts, &res);
    } else if (WIFEXITED(status)) {
      res.exit_code = WEXITSTATUS(status);
      if (res.exit_code == 0 && proof == token) {
        res.status = "passed";
      } else if (res.exit_code == 0) {
        res.status = "failed";
        res.reason = proof.empty() ? "exited with status 0 before the end of its tests (no pass token)"
                                   : "exited with status 0 with a wrong pass token (forged)";
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
    if (oom_kills > 0 && !res.passed() && res.status != "error") {
      res.status = "failed";
      res.reason = str_cat("memory limit of ", opts.memory_mb, " MB for the whole sandbox: the kernel killed ",
                           oom_kills, " of its processes (", res.reason, ")");
    }
  }
  cgroup.reset();
  lease.reset();
  force_remove(dir);
  std::error_code ec;
  if (fs::exists(dir, ec)) res.reason += str_cat(" (note: could not remove ", dir, ")");
  return res;
}

}  // namespace crossover
