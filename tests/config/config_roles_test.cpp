// The key-role table: every config key has exactly one role, in declaration
// order, and config_changes reports a difference per key with its role.
#include "crossover/config/config_roles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "crossover/config/loader.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

TEST(ConfigRoles, EveryConfigKeyHasExactlyOneRole) {
  const auto keys = config_keys();
  const auto& table = config_key_roles();
  std::set<std::string> in_table;
  for (const auto& r : table) EXPECT_TRUE(in_table.insert(r.key).second) << "twice: " << r.key;
  for (const auto& k : keys) EXPECT_TRUE(in_table.count(k)) << k << " has no role";
  for (const auto& r : table)
    EXPECT_NE(std::find(keys.begin(), keys.end(), r.key), keys.end()) << r.key << " is not a config key";
  // Same order as config.h, so the table reads beside the structs.
  ASSERT_EQ(table.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(table[i].key, keys[i]) << i;
  EXPECT_THROW(config_role("train.no_such_key"), Error);
}

TEST(ConfigRoles, TheRolesTheResumeCheckDependsOn) {
  // The cases: the paradigm and the budget define a run; intervals,
  // threads and device do not.
  EXPECT_EQ(config_role("objective.kind"), ConfigRole::kVariant);
  EXPECT_EQ(config_role("model.d_model"), ConfigRole::kScience);
  EXPECT_EQ(config_role("train.total_tokens"), ConfigRole::kScience);
  EXPECT_EQ(config_role("run.seed"), ConfigRole::kScience);
  for (const char* k : {"train.eval_every", "train.log_every", "train.ckpt_every", "train.ckpt_keep"})
    EXPECT_EQ(config_role(k), ConfigRole::kCadence) << k;
  for (const char* k : {"runtime.threads", "runtime.device", "dist.shard", "run.name", "run.dir"})
    EXPECT_EQ(config_role(k), ConfigRole::kRuntime) << k;
  EXPECT_TRUE(config_role_defines_run(ConfigRole::kScience));
  EXPECT_TRUE(config_role_defines_run(ConfigRole::kVariant));
  EXPECT_FALSE(config_role_defines_run(ConfigRole::kCadence));
  EXPECT_FALSE(config_role_defines_run(ConfigRole::kRuntime));
}

TEST(ConfigRoles, ChangesNameEachKeyWithBothValues) {
  Config a = load_config_from_string("objective: {kind: mdm}\ntrain: {lr: 0.001}\n", "a");
  Config b = load_config_from_string(
      "objective: {kind: ar}\ntrain: {lr: 0.002, eval_every: 7}\nruntime: {threads: 3}\n", "b");
  auto changes = config_changes(a, b);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].key, "runtime.threads");  // declaration order
  EXPECT_EQ(changes[0].role, ConfigRole::kRuntime);
  EXPECT_EQ(changes[1].key, "objective.kind");
  EXPECT_EQ(changes[1].before, "mdm");
  EXPECT_EQ(changes[1].after, "ar");
  EXPECT_EQ(changes[2].key, "train.lr");
  EXPECT_EQ(changes[2].before, "0.001");
  EXPECT_EQ(changes[3].key, "train.eval_every");
  EXPECT_EQ(changes[3].role, ConfigRole::kCadence);
  EXPECT_EQ(describe_config_changes({changes[1], changes[2]}),
            "objective.kind: mdm -> ar, train.lr: 0.001 -> 0.002");
  EXPECT_TRUE(config_changes(a, a).empty());
}

}  // namespace
}  // namespace crossover
