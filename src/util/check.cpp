// check.cpp — crossover's error type, exit codes and the CROSSOVER_CHECK failure path (check.h).
#include "crossover/util/check.h"

#include <cstring>

namespace crossover {

void throw_check_failure(const char* file, int line, const char* cond,
                         const std::string& message) {
  const char* base = std::strrchr(file, '/');
  base = base ? base + 1 : file;
  std::string what = str_cat(base, ":", line, ": ", message);
  if (message.empty()) what += str_cat("check failed: ", cond);
  throw Error(what);
}

}  // namespace crossover
