// config_roles.h — what each config key means for a run, in one table keyed by
// the YAML key path (src/config/config_roles.cpp):
//
//   science  defines the experiment: model shape, data and its budget, the
//            optimizer and its schedule, the seed, what evaluation measures.
//            Two runs that differ here are different experiments.
//   variant  the paradigm being compared inside one experiment: objective.*
//            and the parameter-noise keys model.dropout_*. Changes the
//            science too; `report` pairs runs that differ only here.
//   cadence  when things are logged, evaluated and checkpointed; changes no
//            number a run produces, only how often it is written.
//   runtime  where and how it runs: device, threads, precision, world layout,
//            run folder, micro-batching, activation recomputation. The same
//            experiment up to floating-point summation order.
//
// Users: `train --resume` refuses a resolved config that differs from the
// run's saved one in a science or variant key and logs cadence/runtime
// changes; `sweep plan` counts a run as the sweep's only if its science and
// variant keys match; `report` groups runs by it (run.seed, a science key for
// resume, is the report's replicate axis).
// A test checks that every key of config_keys() has exactly one entry here.
#pragma once

#include <string>
#include <vector>

#include "crossover/config/config.h"

namespace crossover {

enum class ConfigRole { kScience, kVariant, kCadence, kRuntime };
const char* config_role_name(ConfigRole r);  // science | variant | cadence | runtime

struct ConfigKeyRole {
  const char* key;  // dotted YAML path, e.g. "train.eval_every"
  ConfigRole role;
};

// The table, in config declaration order.
const std::vector<ConfigKeyRole>& config_key_roles();

// The role of a dotted key; throws Error for a key that is not in the table.
ConfigRole config_role(const std::string& key);

// True for the roles a resumed run or a sweep's finished run must match.
bool config_role_defines_run(ConfigRole r);  // science or variant

// One key whose value differs between two resolved configs (values as YAML text).
struct ConfigChange {
  std::string key;
  std::string before, after;
  ConfigRole role;
};

// Every key whose value differs, in declaration order.
std::vector<ConfigChange> config_changes(const Config& before, const Config& after);

// "objective.kind: mdm -> ar, train.lr: 0.001 -> 0.002" (at most `limit` keys, then "...").
std::string describe_config_changes(const std::vector<ConfigChange>& changes, size_t limit = 8);

}  // namespace crossover
