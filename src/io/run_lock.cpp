// run_lock.cpp — the flock a run's writer holds (io/run_lock.h says where and why).
#include "crossover/io/run_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "crossover/util/check.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

bool pid_alive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

// The pid the holder wrote into the lock file. The holder writes it just after
// taking the lock, so a reader that lost the race may briefly see an empty file
// or the pid of a previous, dead holder: retry for up to ~0.5 s. 0 = unknown.
long holder_pid(const std::string& path) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[32] = {0};
      ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
      ::close(fd);
      long pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
      if (pid_alive(pid)) return pid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

}  // namespace

std::string run_lock_path(const std::string& run_dir) {
  fs::path p = fs::path(run_dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return (p.parent_path() / ("." + p.filename().string() + ".lock")).string();
}

bool run_lock_held(const std::string& run_dir) {
  int fd = ::open(run_lock_path(run_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  if (!held) ::flock(fd, LOCK_UN);
  ::close(fd);
  return held;
}

RunLock::RunLock(const std::string& run_dir) : path_(run_lock_path(run_dir)) {
  const fs::path parent = fs::path(path_).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec)
    throw Error(str_cat("cannot create run.dir '", parent.string(), "': ", ec.message()));
  // O_CLOEXEC: programs the trainer starts (the code sandbox) must not inherit it.
  int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    throw Error(str_cat("cannot open the run's lock file '", path_, "': ", std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd);
    if (e != EWOULDBLOCK)
      throw Error(str_cat("cannot lock '", path_, "': ", std::strerror(e)));
    const long pid = holder_pid(path_);
    throw Error(str_cat("run '", run_dir, "' is in use: ",
                        pid > 0 ? str_cat("pid ", pid) : std::string("another process (pid unknown)"),
                        " holds its lock ", path_, "; nothing was changed; hint: wait for that ",
                        "process to finish (or stop it), or choose another run.name"),
                kRunLockBusy);
  }
  const std::string pid = str_cat(static_cast<long>(::getpid()), "\n");
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock is held; only the pid in the refusal of a second writer is lost.
  }
  fd_ = fd;
}

RunLock::~RunLock() { release(); }

void RunLock::release() {
  if (fd_ < 0) return;
  if (::ftruncate(fd_, 0) != 0) {
    // An old pid left in the file is harmless (readers check that it lives).
  }
  ::close(fd_);  // releases the flock
  fd_ = -1;
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

}  // namespace crossover
