// Strict YAML loading. Files are flattened to dotted keys with their origin
// (file:line) before anything is interpreted, so every error can say where the
// offending key was written.
#include "crossover/config/loader.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "crossover/util/check.h"
#include "crossover/util/checksum.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

struct Leaf {
  YAML::Node value;
  std::string origin;  // "file.yaml:12" or "--set"
};
using FlatMap = std::map<std::string, Leaf>;

[[noreturn]] void config_fail(const std::string& msg) { throw UsageError(msg); }

std::string where(const std::string& file, const YAML::Node& n) {
  if (n.Mark().is_null()) return file;
  return str_cat(file, ":", n.Mark().line + 1);
}

void flatten(const YAML::Node& node, const std::string& prefix, const std::string& file,
             FlatMap& out) {
  std::set<std::string> seen;  // keys of this one mapping: YAML forbids duplicates
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar())
      config_fail(str_cat(where(file, it->first), ": a key",
                          prefix.empty() ? "" : str_cat(" under '", prefix, "'"),
                          " is not a plain name; hint: keys are words such as 'lr'"));
    std::string key = it->first.as<std::string>();
    if (!seen.insert(key).second)
      config_fail(str_cat(where(file, it->first), ": duplicate key '",
                          prefix.empty() ? key : prefix + "." + key,
                          "' (it appears earlier in the same section; YAML keeps only one)"));
    std::string full = prefix.empty() ? key : prefix + "." + key;
    YAML::Node v = it->second;
    if (v.IsMap()) {
      flatten(v, full, file, out);
    } else {
      out[full] = Leaf{v, where(file, it->first)};
    }
  }
}

YAML::Node parse_yaml_file(const std::string& path) {
  if (fs::is_directory(path))
    config_fail(str_cat("config '", path, "' is a directory, not a YAML file"));
  std::ifstream in(path);
  if (!in) config_fail(str_cat("cannot read config file '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return YAML::Load(ss.str());
  } catch (const YAML::Exception& e) {
    config_fail(str_cat(path, ":", e.mark.line + 1, ": malformed YAML: ", e.msg));
  }
}

void load_flat(const YAML::Node& root, const std::string& file, std::vector<std::string>& chain,
               FlatMap& out);

void load_flat_file(const std::string& path, std::vector<std::string>& chain, FlatMap& out) {
  std::string canon = fs::weakly_canonical(fs::path(path)).string();
  for (const auto& c : chain)
    if (c == canon)
      config_fail(str_cat("config inheritance cycle: ", str_join(chain, " -> "), " -> ", canon));
  chain.push_back(canon);
  load_flat(parse_yaml_file(path), path, chain, out);
  chain.pop_back();
}

void load_flat(const YAML::Node& root, const std::string& file, std::vector<std::string>& chain,
               FlatMap& out) {
  if (root.IsNull()) return;  // an empty file is a valid (empty) config
  if (!root.IsMap())
    config_fail(str_cat(where(file, root), ": a config must be a YAML mapping of sections"));
  if (root["base"]) {
    const YAML::Node b = root["base"];
    if (!b.IsScalar()) config_fail(str_cat(where(file, b), ": 'base' must be a file name"));
    fs::path base = fs::path(file).parent_path() / b.as<std::string>();
    if (!fs::exists(base))
      config_fail(str_cat(where(file, b), ": base config '", base.string(), "' does not exist"));
    load_flat_file(base.string(), chain, out);
  }
  FlatMap mine;
  flatten(root, "", file, mine);
  mine.erase("base");
  for (auto& kv : mine) out[kv.first] = kv.second;
}

// Applies `a.b=value` overrides; the value is parsed as YAML.
void apply_overrides(const std::vector<std::string>& overrides, FlatMap& out) {
  for (const auto& o : overrides) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      config_fail(str_cat("--set '", o, "': expected KEY=VALUE, e.g. --set train.lr=3e-4"));
    std::string key = str_trim(o.substr(0, eq));
    std::string text = o.substr(eq + 1);
    YAML::Node v;
    try {
      v = YAML::Load(text.empty() ? "\"\"" : text);
    } catch (const YAML::Exception& e) {
      config_fail(str_cat("--set ", key, ": cannot parse value '", text, "': ", e.msg));
    }
    if (v.IsMap()) config_fail(str_cat("--set ", key, ": value must be a scalar or a list"));
    out[key] = Leaf{v, "--set"};
  }
}

class Reader : public ConfigVisitor {
 public:
  explicit Reader(const FlatMap& flat) : flat_(flat) {}

  void field(const std::string& key, int64_t& v, const FieldSpec& spec) override {
    const Leaf* leaf = find(key);
    if (!leaf) return;
    std::string s = scalar(key, *leaf, "an integer");
    if (spec.allow_auto && s == "auto") {
      v = 0;
      return;
    }
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(s.c_str(), &end);
    bool ok = end && *end == '\0' && !s.empty() && errno == 0 && std::floor(d) == d &&
              std::fabs(d) < 9.2e18;
    if (!ok)
      bad_type(key, *leaf, s, spec.allow_auto ? "an integer or 'auto'" : "an integer");
    check_range(key, *leaf, d, spec);
    v = static_cast<int64_t>(d);
  }

  void field(const std::string& key, double& v, const FieldSpec& spec) override {
    const Leaf* leaf = find(key);
    if (!leaf) return;
    std::string s = scalar(key, *leaf, "a number");
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!end || *end != '\0' || s.empty() || !std::isfinite(d)) bad_type(key, *leaf, s, "a number");
    check_range(key, *leaf, d, spec);
    v = d;
  }

  void field(const std::string& key, bool& v, const FieldSpec&) override {
    const Leaf* leaf = find(key);
    if (!leaf) return;
    std::string s = scalar(key, *leaf, "true or false");
    if (s == "true" || s == "True" || s == "yes") {
      v = true;
    } else if (s == "false" || s == "False" || s == "no") {
      v = false;
    } else {
      bad_type(key, *leaf, s, "true or false");
    }
  }

  void field(const std::string& key, std::string& v, const FieldSpec& spec) override {
    const Leaf* leaf = find(key);
    if (!leaf) return;
    std::string s = leaf->value.IsNull() ? "" : scalar(key, *leaf, "a string");
    if (!spec.choices.empty()) {
      bool ok = false;
      for (const auto& c : spec.choices) ok = ok || c == s;
      if (!ok) {
        std::string near = nearest_word(s, spec.choices);
        config_fail(str_cat(leaf->origin, ": ", key, ": '", s, "' is not one of ",
                            str_join(spec.choices, " | "),
                            near.empty() ? "" : str_cat(" (did you mean '", near, "'?)")));
      }
    }
    v = s;
  }

  void field(const std::string& key, std::vector<std::string>& v, const FieldSpec&) override {
    const Leaf* leaf = find(key);
    if (!leaf) return;
    v.clear();
    if (leaf->value.IsNull()) return;
    if (!leaf->value.IsSequence())
      bad_type(key, *leaf, scalar(key, *leaf, "a list"), "a list, e.g. [a, b]");
    for (const auto& item : leaf->value) {
      if (!item.IsScalar())
        config_fail(str_cat(leaf->origin, ": ", key, ": list items must be scalars"));
      v.push_back(item.as<std::string>());
    }
  }

 private:
  const Leaf* find(const std::string& key) {
    auto it = flat_.find(key);
    return it == flat_.end() ? nullptr : &it->second;
  }
  std::string scalar(const std::string& key, const Leaf& leaf, const char* expected) {
    if (leaf.value.IsSequence())
      config_fail(str_cat(leaf.origin, ": ", key, ": got a list, expected ", expected));
    if (leaf.value.IsNull())
      config_fail(str_cat(leaf.origin, ": ", key, ": no value given, expected ", expected));
    return leaf.value.as<std::string>();
  }
  [[noreturn]] void bad_type(const std::string& key, const Leaf& leaf, const std::string& s,
                             const char* expected) {
    config_fail(str_cat(leaf.origin, ": ", key, ": '", s, "' is not ", expected));
  }
  void check_range(const std::string& key, const Leaf& leaf, double d, const FieldSpec& spec) {
    if (d < spec.min || d > spec.max) {
      std::string bound = spec.max >= 1e299 ? str_cat(">= ", spec.min)
                                            : str_cat("in [", spec.min, ", ", spec.max, "]");
      config_fail(str_cat(leaf.origin, ": ", key, ": ", d, " is out of range (expected ", bound,
                          ")"));
    }
  }
  const FlatMap& flat_;
};

void reject_unknown(const FlatMap& flat) {
  std::vector<std::string> known = config_keys();
  std::set<std::string> known_set(known.begin(), known.end());
  for (const auto& kv : flat) {
    if (known_set.count(kv.first)) continue;
    std::string near = nearest_word(kv.first, known);
    config_fail(str_cat(kv.second.origin, ": unknown key '", kv.first, "'",
                        near.empty() ? "" : str_cat(" (did you mean '", near, "'?)")));
  }
}

Config resolve(FlatMap& flat, const std::vector<std::string>& overrides) {
  apply_overrides(overrides, flat);
  reject_unknown(flat);
  Config c;
  Reader r(flat);
  visit_config(c, r);
  validate_config(c);
  return c;
}

// ----- writing -----
std::string yaml_scalar(const std::string& s) {
  YAML::Emitter e;
  e << s;
  return e.c_str();
}

std::string fmt_double(double d) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  std::string s = buf;
  // Keep it a float in YAML and short when exact.
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, d);
    if (std::strtod(buf, nullptr) == d) {
      s = buf;
      break;
    }
  }
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

class Writer : public ConfigVisitor {
 public:
  std::ostringstream out;
  void field(const std::string& k, int64_t& v, const FieldSpec&) override { put(k, str_cat(v)); }
  void field(const std::string& k, double& v, const FieldSpec&) override {
    put(k, fmt_double(v));
  }
  void field(const std::string& k, bool& v, const FieldSpec&) override {
    put(k, v ? "true" : "false");
  }
  void field(const std::string& k, std::string& v, const FieldSpec&) override {
    put(k, v.empty() ? "\"\"" : yaml_scalar(v));
  }
  void field(const std::string& k, std::vector<std::string>& v, const FieldSpec&) override {
    std::vector<std::string> items;
    for (const auto& s : v) items.push_back(yaml_scalar(s));
    put(k, str_cat("[", str_join(items, ", "), "]"));
  }

 private:
  void put(const std::string& key, const std::string& value) {
    size_t dot = key.find('.');
    std::string section = key.substr(0, dot);
    if (section != section_) {
      out << section << ":\n";
      section_ = section;
    }
    out << "  " << key.substr(dot + 1) << ": " << value << "\n";
  }
  std::string section_;
};

}  // namespace

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  if (!fs::exists(path)) config_fail(str_cat("config file '", path, "' does not exist"));
  FlatMap flat;
  std::vector<std::string> chain;
  load_flat_file(path, chain, flat);
  return resolve(flat, overrides);
}

Config load_config_from_string(const std::string& yaml, const std::string& origin,
                               const std::vector<std::string>& overrides) {
  FlatMap flat;
  std::vector<std::string> chain;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    config_fail(str_cat(origin, ":", e.mark.line + 1, ": malformed YAML: ", e.msg));
  }
  load_flat(root, origin, chain, flat);
  return resolve(flat, overrides);
}

std::string config_to_yaml(const Config& c) {
  Config copy = c;
  Writer w;
  visit_config(copy, w);
  return w.out.str();
}

std::string config_hash(const Config& c) {
  const std::string s = config_to_yaml(c);
  return hex64(fnv1a64_update(kFnv1a64Offset, s.data(), s.size()));
}

}  // namespace crossover
