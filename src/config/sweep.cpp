// Sweep files: parse, expand the grid, name the runs, validate each run
// through the strict config loader.
#include "crossover/config/sweep.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "crossover/config/config.h"
#include "crossover/config/loader.h"
#include "crossover/util/check.h"
#include "crossover/util/file_io.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// One grid axis: one or more tied keys and the values they take together.
struct Axis {
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::string origin;  // file:line
};

[[noreturn]] void sweep_fail(const std::string& msg) { throw UsageError(msg); }

std::string where(const std::string& file, const YAML::Node& n) {
  if (n.Mark().is_null()) return file;
  return str_cat(file, ":", n.Mark().line + 1);
}

// A YAML node as the text `--set key=value` would take: scalars verbatim,
// lists in flow style.
std::string value_text(const YAML::Node& n, const std::string& origin) {
  if (n.IsScalar()) return n.Scalar();
  if (n.IsNull()) return "\"\"";
  if (n.IsSequence()) {
    std::vector<std::string> items;
    for (const auto& item : n) items.push_back(value_text(item, origin));
    return "[" + str_join(items, ", ") + "]";
  }
  sweep_fail(str_cat(origin, ": a value must be a scalar or a list, not a mapping"));
}

void check_key(const std::string& key, const std::string& origin, const std::string& section) {
  if (key == "base" && section != "set") return;  // a grid axis or include key over base configs
  static const std::vector<std::string> keys = config_keys();
  for (const auto& k : keys)
    if (k == key) {
      if (key == "run.name" || key == "run.dir")
        sweep_fail(str_cat(origin, ": '", key, "' in ", section,
                           " is set by the sweep itself (runs go to <out>/<sweep name>/<run>)"));
      return;
    }
  std::string near = nearest_word(key, keys);
  sweep_fail(str_cat(origin, ": unknown config key '", key, "' in ", section,
                     near.empty() ? "" : str_cat(" (did you mean '", near, "'?)"),
                     "; see configs/base.yaml for every key"));
}

// Flattens a (possibly nested) mapping of overrides to dotted keys.
void flatten_overrides(const YAML::Node& node, const std::string& prefix, const std::string& file,
                       const std::string& section, Pairs& out) {
  if (!node.IsMap()) sweep_fail(str_cat(where(file, node), ": '", section, "' must be a mapping"));
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = it->first.as<std::string>();
    std::string full = prefix.empty() ? key : prefix + "." + key;
    if (it->second.IsMap()) {
      flatten_overrides(it->second, full, file, section, out);
      continue;
    }
    check_key(full, where(file, it->first), section);
    out.emplace_back(full, value_text(it->second, where(file, it->second)));
  }
}

std::vector<Axis> read_grid(const YAML::Node& grid, const std::string& file) {
  std::vector<Axis> axes;
  if (!grid) return axes;
  if (!grid.IsMap()) sweep_fail(str_cat(where(file, grid), ": 'grid' must be a mapping"));
  for (auto it = grid.begin(); it != grid.end(); ++it) {
    Axis a;
    a.origin = where(file, it->first);
    for (const auto& k : str_split(it->first.as<std::string>(), ',')) {
      a.keys.push_back(str_trim(k));
      check_key(a.keys.back(), a.origin, "grid");
    }
    const YAML::Node v = it->second;
    if (v.IsSequence()) {
      for (const auto& item : v) a.values.push_back(value_text(item, where(file, item)));
    } else {
      a.values.push_back(value_text(v, where(file, v)));
    }
    if (a.values.empty()) sweep_fail(str_cat(a.origin, ": grid key has an empty list of values"));
    axes.push_back(a);
  }
  return axes;
}

std::vector<Pairs> read_entries(const YAML::Node& list, const std::string& file,
                                const std::string& section) {
  std::vector<Pairs> out;
  if (!list) return out;
  if (!list.IsSequence())
    sweep_fail(str_cat(where(file, list), ": '", section, "' must be a list of mappings"));
  for (const auto& entry : list) {
    Pairs p;
    flatten_overrides(entry, "", file, section, p);
    out.push_back(p);
  }
  return out;
}

// Values compare as numbers when both parse as numbers (0.1 == 0.10 == 1e-1).
bool same_value(const std::string& a, const std::string& b) {
  char* ea = nullptr;
  char* eb = nullptr;
  double da = std::strtod(a.c_str(), &ea);
  double db = std::strtod(b.c_str(), &eb);
  if (!a.empty() && !b.empty() && *ea == '\0' && *eb == '\0') return da == db;
  return a == b;
}

bool matches(const Pairs& point, const Pairs& pattern) {
  for (const auto& want : pattern) {
    bool found = false;
    for (const auto& have : point)
      if (have.first == want.first && same_value(have.second, want.second)) found = true;
    if (!found) return false;
  }
  return true;
}

// Label for every varying key; a collision (dropout_attn and dropout_resid
// would both be short) falls back to the full key with dots as dashes.
std::map<std::string, std::string> key_labels(const std::vector<std::string>& keys) {
  std::map<std::string, int> count;
  for (const auto& k : keys) count[sweep_key_label(k)]++;
  std::map<std::string, std::string> out;
  for (const auto& k : keys) {
    std::string label = sweep_key_label(k);
    if (count[label] > 1) {
      label = k;
      for (char& c : label)
        if (c == '.') c = '-';
    }
    out[k] = label;
  }
  return out;
}

std::string name_with_labels(const Pairs& varying, const std::map<std::string, std::string>& labels) {
  if (varying.empty()) return "base";
  std::vector<std::string> parts;
  for (const auto& kv : varying) {
    auto it = labels.find(kv.first);
    std::string key = it == labels.end() ? sweep_key_label(kv.first) : it->second;
    std::string value = sweep_value_label(kv.second);
    if (kv.first == "base" && str_ends_with(value, ".yaml")) value.resize(value.size() - 5);
    parts.push_back(key + "-" + value);
  }
  return str_join(parts, "_");
}

std::string read_sweep_text(const std::string& path) {
  try {
    return read_file_text(path);
  } catch (const Error& e) {
    sweep_fail(str_cat("sweep file: ", e.what()));
  }
}

}  // namespace

std::vector<std::string> SweepRun::set_args() const {
  std::vector<std::string> out;
  for (const auto& kv : overrides) out.push_back(kv.first + "=" + kv.second);
  return out;
}

std::string sweep_key_label(const std::string& key) {
  static const std::map<std::string, std::string> kShort = {
      {"objective.kind", "kind"},          {"data.unique_tokens", "unique"},
      {"train.total_tokens", "tokens"},    {"run.seed", "seed"},
      {"objective.input_noise", "noise"},  {"model.dropout_resid", "dropout"},
      {"model.dropout_attn", "dropattn"},  {"model.dropout_embed", "dropemb"},
      {"model.d_model", "d"},              {"model.n_layers", "layers"},
      {"model.moe_experts", "experts"},    {"model.moe_top_k", "topk"},
      {"data.path", "data"},               {"train.lr", "lr"},
      {"train.batch_size", "batch"},       {"data.seq_len", "seq"},
  };
  std::string first = str_split(key, ',')[0];
  auto it = kShort.find(first);
  if (it != kShort.end()) return it->second;
  std::string leaf = first.substr(first.rfind('.') + 1);
  std::string out;
  for (char c : leaf)
    if (c != '_') out += c;
  return out;
}

std::string sweep_value_label(const std::string& value) {
  std::string v = str_trim(value);
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (!v.empty() && *end == '\0' && std::isfinite(d)) {
    // Integers >= 1000 as 100k / 1.5M / 96B when exact to 2 decimals; other numbers via %g.
    const char* suffix[] = {"T", "B", "M", "k"};
    const double scale[] = {1e12, 1e9, 1e6, 1e3};
    if (std::floor(d) == d && std::fabs(d) >= 1000) {
      for (int i = 0; i < 4; ++i) {
        double q = d / scale[i];
        if (std::fabs(q) < 1) continue;
        if (std::fabs(std::round(q * 100) - q * 100) < 1e-6) {
          char buf[40];
          std::snprintf(buf, sizeof(buf), "%.2f", q);
          std::string s = buf;
          while (s.back() == '0') s.pop_back();
          if (s.back() == '.') s.pop_back();
          return s + suffix[i];
        }
        break;
      }
    }
    char buf[40];
    std::snprintf(buf, sizeof(buf), std::floor(d) == d && std::fabs(d) < 1e15 ? "%.0f" : "%g", d);
    return buf;
  }
  // Paths label by their last component; anything unsafe in a file name becomes '-'.
  if (v.find('/') != std::string::npos) {
    while (!v.empty() && v.back() == '/') v.pop_back();
    v = v.substr(v.rfind('/') + 1);
  }
  std::string out;
  for (char c : v) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' ||
              c == '_';
    if (c == '[' || c == ']' || c == ' ' || c == '"' || c == '\'') continue;
    out += ok ? c : (c == ',' ? '+' : '-');
  }
  return out.empty() ? "none" : out;
}

std::string sweep_run_name(const Pairs& varying) { return name_with_labels(varying, {}); }

Sweep load_sweep(const std::string& path, const std::string& out,
                 const std::vector<std::string>& extra_sets) {
  if (!fs::exists(path)) sweep_fail(str_cat("sweep file '", path, "' does not exist"));
  YAML::Node root;
  try {
    root = YAML::Load(read_sweep_text(path));
  } catch (const YAML::Exception& e) {
    sweep_fail(str_cat(path, ":", e.mark.line + 1, ": malformed YAML: ", e.msg));
  }
  if (!root.IsMap()) sweep_fail(str_cat(path, ": a sweep file must be a YAML mapping"));
  const std::vector<std::string> top = {"name", "base", "description", "set", "grid", "include",
                                        "exclude"};
  for (auto it = root.begin(); it != root.end(); ++it) {
    std::string k = it->first.as<std::string>();
    bool known = false;
    for (const auto& t : top) known |= (t == k);
    if (!known) {
      std::string near = nearest_word(k, top);
      sweep_fail(str_cat(where(path, it->first), ": unknown sweep key '", k, "'",
                         near.empty() ? "" : str_cat(" (did you mean '", near, "'?)"),
                         "; a sweep has name, base, set, grid, include, exclude"));
    }
  }
  Sweep s;
  s.file = path;
  if (!root["name"] || !root["name"].IsScalar())
    sweep_fail(str_cat(path, ": missing 'name: <sweep name>'"));
  s.name = root["name"].Scalar();
  // The runs go to <out>/<name>/: one plain folder name, as run names are, so
  // a name can never reach <out>'s parent or hide its folder ('..', '.x', 'a/b').
  bool plain = !s.name.empty() && s.name[0] != '.';
  for (char c : s.name)
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (!plain)
    sweep_fail(str_cat(where(path, root["name"]), ": sweep name '", s.name, "' must be one plain ",
                       "folder name: letters, digits, '_', '-' and '.', not empty and not starting ",
                       "with '.'"));
  auto resolve_base = [&](const std::string& value, const std::string& origin) {
    std::string b = (fs::path(path).parent_path() / value).lexically_normal().string();
    if (!fs::exists(b)) sweep_fail(str_cat(origin, ": base config '", b, "' does not exist"));
    return b;
  };
  if (root["base"]) {
    if (!root["base"].IsScalar())
      sweep_fail(str_cat(where(path, root["base"]), ": 'base' must be a config file name"));
    s.base = resolve_base(root["base"].Scalar(), where(path, root["base"]));
  }
  s.runs_dir = (fs::path(out) / s.name).string();

  Pairs fixed;
  if (root["set"]) flatten_overrides(root["set"], "", path, "set", fixed);
  std::vector<Axis> axes = read_grid(root["grid"], path);
  std::vector<Pairs> includes = read_entries(root["include"], path, "include");
  std::vector<Pairs> excludes = read_entries(root["exclude"], path, "exclude");

  // Names: keys of axes with several values, plus include keys, labelled together.
  std::vector<std::string> name_keys;
  for (const auto& a : axes)
    if (a.values.size() > 1) name_keys.push_back(a.keys[0]);
  for (const auto& inc : includes)
    for (const auto& kv : inc) name_keys.push_back(kv.first);
  std::sort(name_keys.begin(), name_keys.end());
  name_keys.erase(std::unique(name_keys.begin(), name_keys.end()), name_keys.end());
  auto labels = key_labels(name_keys);

  // Cartesian product, first axis slowest: an odometer over value indices.
  std::vector<size_t> idx(axes.size(), 0);
  std::vector<std::pair<Pairs, Pairs>> points;  // (own overrides, varying)
  while (true) {
    Pairs own, varying;
    for (size_t i = 0; i < axes.size(); ++i) {
      for (const auto& k : axes[i].keys) own.emplace_back(k, axes[i].values[idx[i]]);
      if (axes[i].values.size() > 1) varying.emplace_back(axes[i].keys[0], axes[i].values[idx[i]]);
    }
    bool drop = false;
    for (const auto& ex : excludes) drop |= matches(own, ex);
    if (!drop) points.emplace_back(own, varying);
    size_t i = axes.size();
    while (i > 0 && ++idx[i - 1] == axes[i - 1].values.size()) idx[--i] = 0;
    if (i == 0) break;
  }
  for (const auto& inc : includes) points.emplace_back(inc, inc);

  std::map<std::string, size_t> seen;
  for (const auto& p : points) {
    SweepRun r;
    r.name = name_with_labels(p.second, labels);
    r.varying = p.second;
    r.overrides = fixed;
    r.base = s.base;
    for (const auto& kv : p.first) {
      if (kv.first == "base")
        r.base = resolve_base(kv.second, path);
      else
        r.overrides.push_back(kv);
    }
    if (r.base.empty())
      sweep_fail(str_cat(path, ": run '", r.name, "' has no base config; hint: add ",
                         "'base: <config.yaml>' (relative to the sweep file) or a 'base' grid axis"));
    for (const auto& e : extra_sets) {
      size_t eq = e.find('=');
      if (eq == std::string::npos) sweep_fail(str_cat("--set '", e, "': expected KEY=VALUE"));
      r.overrides.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    }
    r.overrides.emplace_back("run.dir", s.runs_dir);
    r.overrides.emplace_back("run.name", r.name);
    if (seen.count(r.name))
      sweep_fail(str_cat(path, ": two runs are both named '", r.name,
                         "'; hint: an include entry repeats a grid point, or a key that "
                         "distinguishes them is in 'set'"));
    seen[r.name] = s.runs.size();
    try {
      load_config(r.base, r.set_args());
    } catch (const UsageError& e) {
      sweep_fail(str_cat(path, ": run '", r.name, "': ", e.what()));
    }
    s.runs.push_back(r);
  }
  return s;
}

}  // namespace crossover
