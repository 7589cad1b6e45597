// run_lock.h — one writer per run directory.
//
// `crossover train` (rank 0 only) holds an exclusive flock(2) on
//
//   <run.dir>/.<run.name>.lock      beside the run directory, not inside it
//
// from before it looks at the run directory until the trainer returns, so a
// second `train` on the same run — new, `--resume auto` or `--overwrite` —
// is refused before it reads, deletes or writes anything. Why beside:
// `--overwrite` (and `--resume auto` without a checkpoint) delete the run
// directory; a lock file inside it would be deleted with it, and a third
// process could then create a new file of the same name and lock that one
// while the holder still trains. The lock file itself is never deleted.
//
// The holder writes its pid into the file (the refusal names it). flock is
// released by the kernel when the holder dies, however it dies, so a file
// left by a SIGKILLed run is harmless: the next `train --resume auto` takes
// it. Readers (`eval`, `report`, `sample`, `export`, `sweep plan`) never
// take it; `sweep plan` probes it to show a run as `running`.
// flock is advisory and local: on NFS it needs a server with flock support.
#pragma once

#include <string>

#include "crossover/util/check.h"

namespace crossover {

// The exit code of a refused second writer (EX_TEMPFAIL): scripts/sweep.sh
// reports such a run as skipped, not failed.
constexpr ExitCode kRunLockBusy = static_cast<ExitCode>(75);

// <parent>/.<name>.lock for <parent>/<name> (a trailing '/' is ignored).
std::string run_lock_path(const std::string& run_dir);

// True when a live process holds the run's lock (probes and releases at once).
bool run_lock_held(const std::string& run_dir);

class RunLock {
 public:
  RunLock() = default;
  // Creates <run.dir> if needed (only the parent: the run directory is the
  // trainer's to create), then takes the lock without waiting. Throws Error
  // (exit code 75, EX_TEMPFAIL) naming the holder's pid when another process
  // holds it, Error when the lock file cannot be created.
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  void release();
  int fd_ = -1;
  std::string path_;
};

}  // namespace crossover
