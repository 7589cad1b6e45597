// sandbox.h — run one untrusted Python program (a generated completion and its
// tests) in a child process that cannot hurt the evaluator or the machine.
//
// Each call:
//   - makes a fresh directory (crossover-sbx-XXXXXX under tmp_root), writes
//     program.py there, and runs `python3 -I -B program.py` in it with a minimal
//     environment (HOME and TMPDIR = that directory, PATH=/usr/bin:/bin), stdin
//     from /dev/null, stdout+stderr to a file there, and no other inherited file
//     descriptors;
//   - limits: wall clock (timeout_s; the evaluator kills the child), CPU time
//     (RLIMIT_CPU), address space (RLIMIT_AS, so a memory hog gets MemoryError),
//     file size (RLIMIT_FSIZE), processes (RLIMIT_NPROC), no core files;
//   - isolation, the strongest the platform allows (SandboxResult::isolation
//     says which applied): a new PID namespace (killing its init kills every
//     process the program started, so a fork bomb or a background child cannot
//     outlive the call) and a new network namespace (no interfaces up: no
//     network); as root the program runs under its own unprivileged uid
//     (61000..65095, leased with flock on /tmp/.crossover-sandbox-uids/<uid>.lock
//     so no two sandboxes share one, in any process), which is what makes
//     RLIMIT_NPROC bite and keeps it from writing anywhere but its directory. Without root,
//     a user namespace provides the PID and network namespaces (and no
//     RLIMIT_NPROC, which would count all of the user's processes: the PID
//     namespace and the wall clock bound a fork bomb); where even that
//     is refused, a plain fork in its own process group (killed as a group).
//   - the process tree: evaluator -> init (clone()d, the namespace's PID 1,
//     which only sets up, waits and reports) -> python. Python is never PID 1,
//     so signals it sends itself behave as usual; init reports a signal death
//     as exit status 192 + signal (a program that itself exits with 193..255 is
//     read as a signal: none of the benchmarks' tests do).
//   - afterwards removes the directory, whatever the program did to it.
// The outcome is one of: passed (exit 0), failed (non-zero exit; reason = the
// last line of its output, e.g. "AssertionError" or "MemoryError"), timeout
// (wall clock or CPU limit), crashed (killed by a signal), error (the sandbox
// itself could not start the program). The call never throws for anything the
// program does.
#pragma once

#include <cstdint>
#include <string>

namespace crossover {

struct SandboxOptions {
  std::string python = "python3";  // the system's Python 3 (searched in /usr/bin:/bin:$PATH)
  double timeout_s = 5.0;          // wall clock
  int64_t memory_mb = 1024;        // address space (RLIMIT_AS)
  int64_t max_processes = 16;      // RLIMIT_NPROC (effective under the sandbox uid)
  int64_t max_file_mb = 16;        // RLIMIT_FSIZE
  std::string tmp_root;            // "" = $TMPDIR, else /tmp
};

struct SandboxResult {
  std::string status;     // passed | failed | timeout | crashed | error
  std::string reason;     // one line
  int exit_code = -1;     // when it exited
  int signal = 0;         // when a signal ended it
  double seconds = 0;     // wall clock
  std::string isolation;  // e.g. "pid+net namespaces, uid 61003"
  bool passed() const { return status == "passed"; }
};

SandboxResult run_python_sandboxed(const std::string& program, const SandboxOptions& opts);

}  // namespace crossover
