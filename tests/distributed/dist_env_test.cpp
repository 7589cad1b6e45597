// read_dist_env / parse_dist_env: torchrun's variables, defaults, and one-line
// UsageErrors for malformed values (the outside truth: torchrun's own env
// contract, torch/distributed/elastic/agent/server/local_elastic_agent.py).
#include <gtest/gtest.h>

#include "crossover/distributed/dist_env.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

using Env = std::map<std::string, std::string>;

Env torchrun_env() {  // what torchrun sets for rank 3 of 2 nodes x 2 workers
  return {{"RANK", "3"},
          {"WORLD_SIZE", "4"},
          {"LOCAL_RANK", "1"},
          {"LOCAL_WORLD_SIZE", "2"},
          {"MASTER_ADDR", "node0"},
          {"MASTER_PORT", "29400"},
          {"TORCHELASTIC_USE_AGENT_STORE", "True"},
          {"TORCHELASTIC_RESTART_COUNT", "2"}};
}

TEST(DistEnv, EmptyEnvironmentIsOneProcess) {
  DistEnv e = parse_dist_env({});
  EXPECT_EQ(e.rank, 0);
  EXPECT_EQ(e.world_size, 1);
  EXPECT_EQ(e.local_rank, 0);
  EXPECT_EQ(e.local_world_size, 1);
  EXPECT_FALSE(e.use_agent_store);
  EXPECT_EQ(e.restart_count, 0);
}

TEST(DistEnv, ReadsTorchrunVariables) {
  DistEnv e = parse_dist_env(torchrun_env());
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
  EXPECT_EQ(e.master_addr, "node0");
  EXPECT_EQ(e.master_port, 29400);
  EXPECT_TRUE(e.use_agent_store);
  EXPECT_EQ(e.restart_count, 2);
  Env env = torchrun_env();
  env["TORCHELASTIC_USE_AGENT_STORE"] = "False";
  EXPECT_FALSE(parse_dist_env(env).use_agent_store);
}

TEST(DistEnv, LocalRankDefaultsToOneNode) {
  DistEnv e = parse_dist_env(
      {{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "1234"}});
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
}

TEST(DistEnv, MalformedValuesAreUsageErrors) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"RANK", "abc"},         {"RANK", "4"},          {"RANK", "-1"},
      {"RANK", "1x"},          {"WORLD_SIZE", "0"},    {"WORLD_SIZE", ""},
      {"LOCAL_RANK", "2"},     {"MASTER_PORT", "0"},   {"MASTER_PORT", "70000"},
      {"MASTER_ADDR", ""},     {"TORCHELASTIC_USE_AGENT_STORE", "yes"},
      {"TORCHELASTIC_RESTART_COUNT", "-3"}};
  for (const auto& [key, value] : bad) {
    Env env = torchrun_env();
    env[key] = value;
    try {
      parse_dist_env(env);
      ADD_FAILURE() << key << "=" << value << " was accepted";
    } catch (const UsageError& err) {
      EXPECT_NE(std::string(err.what()).find(key), std::string::npos) << err.what();
    }
  }
}

TEST(DistEnv, MultiProcessNeedsRankAndMaster) {
  for (const std::string& drop : {"RANK", "MASTER_ADDR", "MASTER_PORT"}) {
    Env env = torchrun_env();
    env.erase(drop);
    EXPECT_THROW(parse_dist_env(env), UsageError) << "without " << drop;
  }
}

}  // namespace
}  // namespace crossover
