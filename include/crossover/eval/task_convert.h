// task_convert.h — public benchmarks' raw JSONL -> crossover task items
// (eval/task.h), with lm-evaluation-harness's zero-shot prompts:
//
//   hellaswag  {activity_label, ctx_a, ctx_b, endings[4], label}  (label int or "3")
//              context = pre(activity_label + ": " + ctx_a + " " + capitalize(ctx_b)),
//              choices = pre(ending); pre = strip, " [title]" -> ". ", drop "[...]",
//              "  " -> " "  (lm_eval/tasks/hellaswag/utils.py)
//   arc        ai2_arc {question: {stem, choices: [{text, label}]}, answerKey} or the
//              Hugging Face layout {question: str, choices: {text: [], label: []}, answerKey}
//              context = "Question: {stem}\nAnswer:", choices = texts
//   piqa       {goal, sol1, sol2, label}   context = "Question: {goal}\nAnswer:"
//   mmlu       {question, subject, choices[4], answer (0-3 or "A"-"D")}
//              context = "The following are multiple choice questions (with answers)
//              about {subject with _ -> space}.\n\n{question.strip()}\nA. {c0}\nB. {c1}\n
//              C. {c2}\nD. {c3}\nAnswer:", choices = "A" "B" "C" "D"
// Every format scores " " + choice (lm-eval's default target_delimiter).
// Python's str.capitalize/strip are applied to ASCII only (non-ASCII bytes kept).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "crossover/eval/task.h"

namespace crossover {

// "hellaswag" | "arc" | "piqa" | "mmlu"
const std::vector<std::string>& task_formats();

// One raw record -> one item; throws Error naming `where` for a malformed record.
TaskItem convert_task_record(const std::string& format, const nlohmann::json& record,
                             const std::string& where);

// Converts every non-blank line of in_path and writes out_path; returns the item count.
int64_t convert_task_file(const std::string& format, const std::string& in_path,
                          const std::string& out_path);

// lm-eval's HellaSwag text preprocessing (exposed for tests).
std::string hellaswag_preprocess(const std::string& text);

}  // namespace crossover
