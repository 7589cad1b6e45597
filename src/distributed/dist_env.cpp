// dist_env.cpp — strict parsing of torchrun's environment variables (see dist_env.h).
#include "crossover/distributed/dist_env.h"

#include <cerrno>
#include <cstdlib>

#include "crossover/util/check.h"

namespace crossover {
namespace {

const char* const kVars[] = {"RANK",        "WORLD_SIZE",  "LOCAL_RANK",
                             "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
                             "TORCHELASTIC_USE_AGENT_STORE", "TORCHELASTIC_RESTART_COUNT"};

const char* kLaunchHint = "hint: start ranks with scripts/launch.sh or torchrun, which set it";

const std::string* find(const std::map<std::string, std::string>& env, const std::string& k) {
  auto it = env.find(k);
  return it == env.end() ? nullptr : &it->second;
}

int64_t parse_int(const std::map<std::string, std::string>& env, const std::string& name,
                  int64_t fallback, int64_t min, int64_t max) {
  const std::string* v = find(env, name);
  if (!v) return fallback;
  std::string s = str_trim(*v);
  char* end = nullptr;
  errno = 0;
  long long x = s.empty() ? 0 : std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE)
    throw UsageError(str_cat("environment variable ", name, "='", *v, "' is not an integer (",
                             kLaunchHint, ")"));
  if (x < min || x > max)
    throw UsageError(str_cat("environment variable ", name, "=", x, " is out of range [", min,
                             ", ", max, "] (", kLaunchHint, ")"));
  return x;
}

bool parse_bool(const std::map<std::string, std::string>& env, const std::string& name) {
  const std::string* v = find(env, name);
  if (!v) return false;
  std::string s = str_trim(*v);
  // torchrun writes str(True) / str(False).
  if (s == "True" || s == "true" || s == "1") return true;
  if (s == "False" || s == "false" || s == "0" || s.empty()) return false;
  throw UsageError(str_cat("environment variable ", name, "='", *v,
                           "' is not a boolean (expected True or False)"));
}

}  // namespace

DistEnv parse_dist_env(const std::map<std::string, std::string>& env) {
  DistEnv e;
  e.world_size = parse_int(env, "WORLD_SIZE", 1, 1, 1 << 20);
  e.rank = parse_int(env, "RANK", 0, 0, e.world_size - 1);
  if (e.world_size > 1 && !find(env, "RANK"))
    throw UsageError(str_cat("WORLD_SIZE=", e.world_size, " but RANK is not set (", kLaunchHint,
                             ")"));
  e.local_world_size = parse_int(env, "LOCAL_WORLD_SIZE", e.world_size, 1, e.world_size);
  e.local_rank = parse_int(env, "LOCAL_RANK", e.rank % e.local_world_size, 0,
                           e.local_world_size - 1);
  e.use_agent_store = parse_bool(env, "TORCHELASTIC_USE_AGENT_STORE");
  e.restart_count = parse_int(env, "TORCHELASTIC_RESTART_COUNT", 0, 0, 1 << 30);
  if (const std::string* a = find(env, "MASTER_ADDR")) {
    e.master_addr = str_trim(*a);
    if (e.master_addr.empty())
      throw UsageError(str_cat("environment variable MASTER_ADDR is empty (", kLaunchHint, ")"));
  } else if (e.world_size > 1) {
    throw UsageError(str_cat("WORLD_SIZE=", e.world_size, " but MASTER_ADDR is not set (",
                             kLaunchHint, ")"));
  }
  if (!find(env, "MASTER_PORT") && e.world_size > 1)
    throw UsageError(str_cat("WORLD_SIZE=", e.world_size, " but MASTER_PORT is not set (",
                             kLaunchHint, ")"));
  e.master_port = static_cast<int>(parse_int(env, "MASTER_PORT", 29500, 1, 65535));
  return e;
}

DistEnv read_dist_env() {
  std::map<std::string, std::string> env;
  for (const char* name : kVars)
    if (const char* v = std::getenv(name)) env[name] = v;
  return parse_dist_env(env);
}

}  // namespace crossover
