// task.h — a multiple-choice task file: JSONL, one item per line,
//   {"context": str, "choices": [str, ...], "gold": int}
// plus optional "id" (str or int) and "target_delimiter" (str, default " ").
//
// Semantics follow lm-evaluation-harness's `multiple_choice` output type: the
// scored request for choice c is (context, target_delimiter + c); acc_norm
// divides by the length of c itself (characters, without the delimiter). The
// converters (task_convert.h) write lm-eval's prompts, so choices are stored
// exactly as lm-eval's doc_to_choice returns them. A task's name is its file
// stem: tasks/hellaswag.jsonl -> "hellaswag".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crossover {

struct TaskItem {
  std::string id;                   // "" when the file has none
  std::string context;
  std::vector<std::string> choices; // at least 2
  int64_t gold = 0;                 // index into choices
  std::string target_delimiter = " ";

  // What is scored for choice i: target_delimiter + choices[i].
  std::string continuation(size_t i) const { return target_delimiter + choices[i]; }
};

struct Task {
  std::string name;  // file stem
  std::string path;
  std::vector<TaskItem> items;
};

// Reads and checks a task file; limit > 0 keeps the first `limit` items.
// Throws Error naming the file and line of a malformed item.
Task load_task(const std::string& path, int64_t limit = 0);

// One JSON line per item (keys in the order above; "id" and a non-default
// "target_delimiter" only when set). Written to path.tmp and renamed.
void write_task(const std::string& path, const std::vector<TaskItem>& items);
std::string task_item_to_json_line(const TaskItem& item);

// "dir/hellaswag.jsonl" -> "hellaswag".
std::string task_name_from_path(const std::string& path);

}  // namespace crossover
