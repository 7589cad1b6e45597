// checkpoint.cpp — saving and loading the full training state, atomically and checked (checkpoint.h).
#include "crossover/io/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "crossover/io/safetensors.h"
#include "crossover/util/check.h"
#include "crossover/util/checksum.h"
#include "crossover/util/file_io.h"
#include "crossover/util/log.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// The fields resume depends on, with their types; anything else is corruption.
void check_state_json(const nlohmann::json& j, const std::string& path) {
  auto bad = [&](const std::string& what) {
    throw Error(str_cat("checkpoint '", path, "': state.json ", what,
                        " (corrupt or written by another program)"));
  };
  if (!j.is_object()) bad("is not a JSON object");
  for (const char* k : {"step", "tokens_seen"})
    if (!j.contains(k) || !j[k].is_number_integer() || j[k].get<int64_t>() < 0)
      bad(str_cat("has no non-negative integer '", k, "'"));
  if (j.contains("nan_skips") && !j["nan_skips"].is_number_integer()) bad("has a non-integer 'nan_skips'");
  if (!j.contains("data_cursor") || !j["data_cursor"].is_object()) bad("has no 'data_cursor' object");
  for (const char* k : {"config_hash", "config_yaml"})
    if (j.contains(k) && !j[k].is_string()) bad(str_cat("has a non-string '", k, "'"));
  // `extra`: free-form, but the fields resume reads must have their type.
  if (j.contains("extra") && !j["extra"].is_null()) {
    const auto& extra = j["extra"];
    if (!extra.is_object()) bad("has an 'extra' that is not an object");
    if (extra.contains("world_size") &&
        !(extra["world_size"].is_number_integer() && extra["world_size"].get<int64_t>() > 0))
      bad(str_cat("has extra.world_size ", extra["world_size"].dump(), ", not a positive integer"));
  }
  // A step_N directory holds step N: rotation and --resume auto order by the name.
  fs::path dir = fs::path(path);
  if (dir.filename().empty()) dir = dir.parent_path();  // "step_00000005/"
  const std::string name = dir.filename().string();
  if (name.size() > 5 && name.size() <= 23 && str_starts_with(name, "step_") &&
      name.find_first_not_of("0123456789", 5) == std::string::npos &&
      std::strtoll(name.c_str() + 5, nullptr, 10) != j["step"].get<int64_t>())
    bad(str_cat("says step ", j["step"].get<int64_t>(), " in a directory named ", name));
  if (!j.contains("files") || !j["files"].is_object()) bad("has no 'files' object");
  for (const char* f : {"model.safetensors", "optim.safetensors"}) {
    const auto& files = j["files"];
    if (!files.contains(f) || !files[f].is_object() || !files[f].contains("bytes") ||
        !files[f]["bytes"].is_number_unsigned() || !files[f].contains("checksum") ||
        !files[f]["checksum"].is_string())
      bad(str_cat("has no size and checksum for ", f));
  }
}

}  // namespace

std::string file_checksum(const std::string& path) { return hex64(fnv1a64_file(path)); }

NamedTensors module_tensors(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& p : module.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

void load_into_module(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& t,
                      const std::string& origin) {
  torch::NoGradGuard no_grad;
  for (auto& [name, dst] : module_tensors(module)) {
    auto it = t.find(name);
    CROSSOVER_CHECK(it != t.end(), origin, " has no tensor '", name,
                    "' (hint: the checkpoint was written by a different model config)");
    CROSSOVER_CHECK(it->second.sizes() == dst.sizes(), origin, ": tensor '", name, "' has shape ",
                    it->second.sizes(), " but the model expects ", dst.sizes());
    dst.copy_(it->second);
  }
}

std::string save_checkpoint(const std::string& checkpoints_dir, const std::string& name,
                            const NamedTensors& model, const NamedTensors& optim,
                            const CheckpointState& state) {
  fs::create_directories(checkpoints_dir);
  const std::string final_dir = checkpoints_dir + "/" + name;
  const std::string tmp_dir = checkpoints_dir + "/.tmp_" + name;
  fs::remove_all(tmp_dir);
  fs::create_directories(tmp_dir);
  auto to_cpu = [](const NamedTensors& in) {
    NamedTensors out;
    for (const auto& [k, v] : in) out.emplace_back(k, v.detach().to(torch::kCPU).contiguous());
    return out;
  };
  save_safetensors(tmp_dir + "/model.safetensors", to_cpu(model), {{"format", "pt"}});
  save_safetensors(tmp_dir + "/optim.safetensors", to_cpu(optim), {{"format", "pt"}});
  nlohmann::ordered_json j;
  j["format"] = "crossover-checkpoint-1";
  j["crossover_version"] = CROSSOVER_VERSION;
  j["torch_version"] = TORCH_VERSION;
  j["step"] = state.step;
  j["tokens_seen"] = state.tokens_seen;
  j["nan_skips"] = state.nan_skips;
  j["data_cursor"] = state.data_cursor;
  j["config_hash"] = state.config_hash;
  j["config_yaml"] = state.config_yaml;
  j["extra"] = state.extra;
  for (const char* f : {"model.safetensors", "optim.safetensors"}) {
    std::string p = tmp_dir + "/" + f;
    j["files"][f] = {{"bytes", fs::file_size(p)}, {"checksum", file_checksum(p)}};
  }
  write_file_synced(tmp_dir + "/state.json", j.dump(2));
  fsync_path(tmp_dir);
  fs::remove_all(final_dir);
  fs::rename(tmp_dir, final_dir);
  fsync_path(checkpoints_dir);
  return final_dir;
}

Checkpoint load_checkpoint(const std::string& path, int64_t max_step) {
  const std::string state_path = path + "/state.json";
  CROSSOVER_CHECK(fs::exists(state_path), "checkpoint '", path,
                  "' is incomplete: no state.json");
  std::ifstream in(state_path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  CROSSOVER_CHECK(!j.is_discarded(), "checkpoint '", path,
                  "': state.json is not valid JSON (corrupt or truncated)");
  check_state_json(j, path);
  CROSSOVER_CHECK(max_step < 0 || j["step"].get<int64_t>() <= max_step, "checkpoint '", path,
                  "': state.json says step ", j["step"].get<int64_t>(), ", beyond this run's ",
                  max_step, " steps (corrupt, or a checkpoint of a longer run)");
  for (const char* f : {"model.safetensors", "optim.safetensors"}) {
    std::string p = path + "/" + f;
    CROSSOVER_CHECK(fs::exists(p), "checkpoint '", path, "' is missing ", f);
    const auto& meta = j["files"][f];
    CROSSOVER_CHECK(fs::file_size(p) == meta["bytes"].get<uint64_t>(), "checkpoint '", path,
                    "': ", f, " has ", fs::file_size(p), " bytes, expected ",
                    meta["bytes"].get<uint64_t>(), " (truncated?)");
    CROSSOVER_CHECK(file_checksum(p) == meta["checksum"].get<std::string>(), "checkpoint '",
                    path, "': ", f, " checksum mismatch (the file is corrupt)");
  }
  Checkpoint c;
  c.path = path;
  c.state.step = j["step"].get<int64_t>();
  c.state.tokens_seen = j["tokens_seen"].get<int64_t>();
  c.state.nan_skips = j.value("nan_skips", int64_t{0});
  c.state.data_cursor = j["data_cursor"];
  c.state.config_hash = j.value("config_hash", "");
  c.state.config_yaml = j.value("config_yaml", "");
  c.state.extra = j.contains("extra") && j["extra"].is_object() ? j["extra"] : nlohmann::json::object();
  c.model = load_safetensors(path + "/model.safetensors");
  c.optim = load_safetensors(path + "/optim.safetensors");
  return c;
}

std::vector<std::string> list_checkpoints(const std::string& checkpoints_dir) {
  std::vector<std::string> out;
  if (!fs::exists(checkpoints_dir)) return out;
  for (const auto& e : fs::directory_iterator(checkpoints_dir)) {
    std::string name = e.path().filename().string();
    if (e.is_directory() && str_starts_with(name, "step_")) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());  // zero-padded step numbers sort by step
  return out;
}

std::optional<Checkpoint> load_latest_valid_checkpoint(const std::string& checkpoints_dir,
                                                       int64_t max_step) {
  auto all = list_checkpoints(checkpoints_dir);
  std::vector<std::string> reasons, skipped;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      Checkpoint c = load_checkpoint(*it, max_step);
      for (const auto& why : skipped)
        log_warn(str_cat("skipping checkpoint: ", why, "; falling back to step ", c.state.step,
                         " (", fs::path(c.path).filename().string(), ")"));
      return c;
    } catch (const Error& e) {
      skipped.push_back(e.what());
      reasons.push_back(fs::path(*it).filename().string());
    }
  }
  for (const auto& why : skipped) log_warn(str_cat("skipping checkpoint: ", why));
  if (!all.empty())
    throw Error(str_cat("every checkpoint in '", checkpoints_dir, "' is corrupt (",
                        str_join(reasons, ", "), "; reasons above); nothing was changed; hint: ",
                        "--overwrite starts the run again, --resume PATH names one to try"));
  return std::nullopt;
}

void prune_checkpoints(const std::string& checkpoints_dir, int64_t keep) {
  auto all = list_checkpoints(checkpoints_dir);
  for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) fs::remove_all(all[i]);
}

}  // namespace crossover
