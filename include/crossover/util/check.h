// check.h — crossover's one error type and the CROSSOVER_CHECK macro.
//
// Every failure a user can cause (bad config, missing file, corrupt checkpoint,
// dead rank) is thrown as crossover::Error carrying file:line, the values
// involved and a hint; src/main.cpp turns it into one line on stderr and a
// non-zero exit. Internal invariants use the same macro: a stack trace is never
// what a researcher should see.
#pragma once

#include <stdexcept>
#include <string>

#include "crossover/util/strings.h"

namespace crossover {

// Exit codes: 2 for usage/config errors (the user's input is wrong before any
// work starts), 1 for failures while working (I/O, corrupt data, dead rank).
enum class ExitCode : int { kOk = 0, kRuntime = 1, kUsage = 2 };

class Error : public std::runtime_error {
 public:
  Error(const std::string& what, ExitCode code = ExitCode::kRuntime)
      : std::runtime_error(what), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// A usage or configuration error (exit code 2).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what, ExitCode::kUsage) {}
};

[[noreturn]] void throw_check_failure(const char* file, int line, const char* cond,
                                      const std::string& message);

}  // namespace crossover

// CROSSOVER_CHECK(cond, "message parts", value, "; hint: ...") — throws
// crossover::Error("file.cpp:42: message parts value; hint: ...").
#define CROSSOVER_CHECK(cond, ...)                                                   \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      ::crossover::throw_check_failure(__FILE__, __LINE__, #cond,                    \
                                       ::crossover::str_cat(__VA_ARGS__));           \
    }                                                                                \
  } while (0)

#define CROSSOVER_FAIL(...) \
  ::crossover::throw_check_failure(__FILE__, __LINE__, "", ::crossover::str_cat(__VA_ARGS__))
