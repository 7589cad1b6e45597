// dist_env.h — where this process sits in a distributed job, read from the
// environment that torchrun (and scripts/launch.sh, which mimics it) sets:
// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
// TORCHELASTIC_USE_AGENT_STORE, TORCHELASTIC_RESTART_COUNT.
//
// No variable set = a single process (world 1). This header parses and checks;
// it does not connect to anything (distributed/dist.h does).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace crossover {

struct DistEnv {
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t local_rank = 0;          // CUDA device index on this node
  int64_t local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool use_agent_store = false;    // torchrun's agent hosts the TCPStore; every rank is a client
  int64_t restart_count = 0;       // torchrun restarts; keys of each attempt live apart
};

// Parses the variables above from `env` (name -> value; absent = unset).
// Malformed or inconsistent values (RANK=abc, RANK >= WORLD_SIZE, WORLD_SIZE > 1
// without MASTER_ADDR/MASTER_PORT) throw UsageError naming the variable.
// LOCAL_RANK defaults to RANK and LOCAL_WORLD_SIZE to WORLD_SIZE (one node).
DistEnv parse_dist_env(const std::map<std::string, std::string>& env);

// parse_dist_env over this process's environment.
DistEnv read_dist_env();

}  // namespace crossover
