// loader.h — reads a Config from YAML files and `--set key=value` overrides,
// strictly, and writes it back as YAML.
//
// Semantics:
//  - `base: other.yaml` (relative to the including file) is loaded first and the
//    including file overrides it key by key; chains of any depth, cycles are
//    an error.
//  - Maps are merged leaf by leaf; lists are leaves (a child's list replaces).
//  - `--set a.b=VALUE` is parsed as YAML, so `--set eval.tasks=[x.jsonl,y.jsonl]`
//    and `--set train.lr=3e-4` are typed like the file.
//  - Unknown keys, wrong types and out-of-range values throw UsageError naming
//    the file, line and key, with the nearest valid key suggested.
#pragma once

#include <string>
#include <vector>

#include "crossover/config/config.h"

namespace crossover {

Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Only overrides, on top of the defaults (tests, `crossover config --set ...` without a file).
Config load_config_from_string(const std::string& yaml, const std::string& origin,
                               const std::vector<std::string>& overrides = {});

// The whole config as YAML, every key, in declaration order.
std::string config_to_yaml(const Config& c);
// 16 hex digits of FNV-1a over config_to_yaml(c): identifies a resolved config.
std::string config_hash(const Config& c);

}  // namespace crossover
