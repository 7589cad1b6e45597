// task.cpp — reading and writing multiple-choice task JSONL.
#include "crossover/eval/task.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "crossover/util/check.h"

namespace crossover {
namespace {

TaskItem parse_item(const nlohmann::json& j, const std::string& where) {
  CROSSOVER_CHECK(j.is_object(), where, ": expected a JSON object with context, choices, gold");
  for (const char* key : {"context", "choices", "gold"})
    CROSSOVER_CHECK(j.contains(key), where, ": missing key '", key,
                    "'; hint: items are {\"context\": str, \"choices\": [str...], \"gold\": int}");
  TaskItem item;
  CROSSOVER_CHECK(j["context"].is_string(), where, ": 'context' must be a string");
  item.context = j["context"].get<std::string>();
  CROSSOVER_CHECK(j["choices"].is_array() && j["choices"].size() >= 2, where,
                  ": 'choices' must be an array of at least 2 strings");
  for (const auto& c : j["choices"]) {
    CROSSOVER_CHECK(c.is_string(), where, ": every choice must be a string");
    item.choices.push_back(c.get<std::string>());
  }
  CROSSOVER_CHECK(j["gold"].is_number_integer(), where, ": 'gold' must be an integer");
  item.gold = j["gold"].get<int64_t>();
  CROSSOVER_CHECK(item.gold >= 0 && item.gold < static_cast<int64_t>(item.choices.size()), where,
                  ": gold=", item.gold, " is not a valid index into ", item.choices.size(),
                  " choices");
  if (j.contains("id")) item.id = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
  if (j.contains("target_delimiter")) {
    CROSSOVER_CHECK(j["target_delimiter"].is_string(), where, ": 'target_delimiter' must be a string");
    item.target_delimiter = j["target_delimiter"].get<std::string>();
  }
  return item;
}

}  // namespace

Task load_task(const std::string& path, int64_t limit) {
  std::ifstream in(path);
  CROSSOVER_CHECK(in, "cannot open task file '", path,
                  "'; hint: convert a benchmark with 'crossover data convert-task' or build one "
                  "with 'crossover data make-tasks'");
  Task task;
  task.name = task_name_from_path(path);
  task.path = path;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = str_cat(path, ":", line_no);
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    CROSSOVER_CHECK(!j.is_discarded(), where, ": not valid JSON");
    task.items.push_back(parse_item(j, where));
    if (limit > 0 && static_cast<int64_t>(task.items.size()) >= limit) break;
  }
  CROSSOVER_CHECK(!task.items.empty(), "task file '", path, "' has no items");
  return task;
}

std::string task_item_to_json_line(const TaskItem& item) {
  nlohmann::ordered_json j;
  if (!item.id.empty()) j["id"] = item.id;
  j["context"] = item.context;
  j["choices"] = item.choices;
  j["gold"] = item.gold;
  if (item.target_delimiter != " ") j["target_delimiter"] = item.target_delimiter;
  return j.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

void write_task(const std::string& path, const std::vector<TaskItem>& items) {
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    CROSSOVER_CHECK(out, "cannot write '", tmp, "'");
    for (const auto& item : items) out << task_item_to_json_line(item) << "\n";
    CROSSOVER_CHECK(out.good(), "error writing '", tmp, "'");
  }
  std::filesystem::rename(tmp, path);
}

std::string task_name_from_path(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

}  // namespace crossover
