// The typed config choices (config/choices.h) against the config's own outside
// truths: configs/base.yaml's documented values and the YAML round trip. Every
// table is a bijection between its enum values and names; the YAML reader
// accepts exactly the table's names for each key and the writer gives the name
// back (not an integer), so config hashes of runs written before the enums
// are unchanged.
#include "crossover/config/choices.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "crossover/config/config.h"
#include "crossover/config/loader.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

template <class E>
void expect_bijection(size_t n) {
  const auto names = choice_names<E>();
  ASSERT_EQ(names.size(), n) << Choices<E>::key;
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), n) << Choices<E>::key;
  for (const auto& name : names) {
    const E e = parse_choice<E>(name);
    EXPECT_EQ(choice_name(e), name);
    std::ostringstream os;
    os << e;
    EXPECT_EQ(os.str(), name);
  }
  try {
    parse_choice<E>("no-such-name");
    FAIL() << Choices<E>::key;
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(Choices<E>::key), std::string::npos) << msg;
    EXPECT_NE(msg.find("'no-such-name'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(names.front()), std::string::npos) << msg;
  }
}

TEST(ConfigChoices, EveryTableIsABijection) {
  expect_bijection<ObjectiveKind>(4);
  expect_bijection<TSampling>(2);
  expect_bijection<Weighting>(2);
  expect_bijection<Precision>(3);
  expect_bijection<Shuffle>(2);
  expect_bijection<LrSchedule>(3);
  expect_bijection<NanPolicy>(2);
  expect_bijection<ValWindows>(2);
  expect_bijection<McMode>(2);
  expect_bijection<ShardMode>(3);
  expect_bijection<GradDtype>(2);
}

TEST(ConfigChoices, YamlReadsEveryNameAndWritesItBack) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> keys = {
      {"objective.kind", choice_names<ObjectiveKind>()},   {"objective.t_sampling", choice_names<TSampling>()},
      {"objective.weighting", choice_names<Weighting>()},  {"runtime.precision", choice_names<Precision>()},
      {"data.shuffle", choice_names<Shuffle>()},           {"train.lr_schedule", choice_names<LrSchedule>()},
      {"train.nan_policy", choice_names<NanPolicy>()},     {"eval.val_windows", choice_names<ValWindows>()},
      {"eval.task_mc", choice_names<McMode>()},            {"dist.shard", choice_names<ShardMode>()},
      {"dist.grad_dtype", choice_names<GradDtype>()}};
  for (const auto& [key, names] : keys) {
    for (const auto& name : names) {
      std::vector<std::string> sets = {key + "=" + name};
      // Cross-key checks some values need (validate_config): keep the rest legal.
      if (key == "objective.kind" && name == "bd3") sets.push_back("objective.block_size=4");
      if (key == "objective.kind" && name == "ar_noise") sets.push_back("objective.input_noise=0.1");
      if (key == "dist.shard" && name == "optimizer") sets.push_back("dist.grad_dtype=fp32");
      const Config c = load_config_from_string("", "t", sets);
      const std::string yaml = config_to_yaml(c);
      const std::string leaf = key.substr(key.find('.') + 1);
      EXPECT_NE(yaml.find(leaf + ": " + name + "\n"), std::string::npos) << key << "=" << name << "\n" << yaml;
      const Config back = load_config_from_string(yaml, "t");
      EXPECT_EQ(config_hash(back), config_hash(c)) << key << "=" << name;
    }
  }
  EXPECT_THROW(load_config_from_string("", "t", {"train.lr_schedule=linear"}), UsageError);
  EXPECT_EQ(load_config_from_string("", "t", {"objective.kind=mdm"}).objective.kind, ObjectiveKind::kMdm);
}

}  // namespace
}  // namespace crossover
