// task_convert.cpp — lm-eval prompts for HellaSwag, ARC, PIQA and MMLU.
#include "crossover/eval/task_convert.h"

#include <cctype>
#include <fstream>

#include "crossover/util/check.h"

namespace crossover {
namespace {

const char* kSpace = " \t\n\r\f\v";

std::string py_strip(const std::string& s) {
  size_t a = s.find_first_not_of(kSpace);
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(kSpace);
  return s.substr(a, b - a + 1);
}

// Python str.replace: every non-overlapping occurrence, left to right.
std::string py_replace(const std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out += s.substr(pos, hit - pos) + to;
    pos = hit + from.size();
  }
  return out + s.substr(pos);
}

// Python str.capitalize on ASCII: first character upper, the rest lower.
std::string py_capitalize(const std::string& s) {
  std::string out = s;
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    if (c >= 0x80) continue;
    out[i] = static_cast<char>(i == 0 ? std::toupper(c) : std::tolower(c));
  }
  return out;
}

// re.sub("\\[.*?\\]", "", text): '.' matches anything but a newline.
std::string remove_brackets(const std::string& s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '[') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != ']' && s[j] != '\n') ++j;
      if (j < s.size() && s[j] == ']') {
        i = j + 1;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

std::string get_string(const nlohmann::json& j, const char* key, const std::string& where) {
  CROSSOVER_CHECK(j.contains(key) && j[key].is_string(), where, ": expected a string '", key, "'");
  return j[key].get<std::string>();
}

int64_t get_label(const nlohmann::json& j, const char* key, const std::string& where) {
  CROSSOVER_CHECK(j.contains(key), where, ": missing '", key, "'");
  const auto& v = j[key];
  if (v.is_number_integer()) return v.get<int64_t>();
  CROSSOVER_CHECK(v.is_string() && !v.get<std::string>().empty(), where, ": '", key,
                  "' must be an integer or a string");
  std::string s = v.get<std::string>();
  if (s.size() == 1 && s[0] >= 'A' && s[0] <= 'Z') return s[0] - 'A';
  try {
    return std::stoll(s);
  } catch (...) {
    CROSSOVER_FAIL(where, ": cannot read '", key, "'=", s, " as an answer index");
  }
}

TaskItem convert_hellaswag(const nlohmann::json& j, const std::string& where) {
  TaskItem item;
  std::string ctx = get_string(j, "ctx_a", where) + " " + py_capitalize(get_string(j, "ctx_b", where));
  item.context = hellaswag_preprocess(get_string(j, "activity_label", where) + ": " + ctx);
  CROSSOVER_CHECK(j.contains("endings") && j["endings"].is_array(), where, ": expected 'endings'");
  for (const auto& e : j["endings"]) item.choices.push_back(hellaswag_preprocess(e.get<std::string>()));
  item.gold = get_label(j, "label", where);
  if (j.contains("ind")) item.id = j["ind"].is_string() ? j["ind"].get<std::string>() : j["ind"].dump();
  return item;
}

TaskItem convert_arc(const nlohmann::json& j, const std::string& where) {
  TaskItem item;
  CROSSOVER_CHECK(j.contains("question"), where, ": expected 'question'");
  std::vector<std::string> labels;
  const auto& q = j["question"];
  if (q.is_object()) {  // ai2_arc release: question.stem, question.choices[{text, label}]
    item.context = "Question: " + get_string(q, "stem", where) + "\nAnswer:";
    for (const auto& c : q.at("choices")) {
      item.choices.push_back(get_string(c, "text", where));
      labels.push_back(get_string(c, "label", where));
    }
  } else {  // Hugging Face: question str, choices {text: [], label: []}
    item.context = "Question: " + get_string(j, "question", where) + "\nAnswer:";
    CROSSOVER_CHECK(j.contains("choices") && j["choices"].is_object(), where, ": expected 'choices'");
    for (const auto& t : j["choices"].at("text")) item.choices.push_back(t.get<std::string>());
    for (const auto& l : j["choices"].at("label")) labels.push_back(l.get<std::string>());
  }
  std::string key = get_string(j, "answerKey", where);
  item.gold = -1;
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == key) item.gold = static_cast<int64_t>(i);
  CROSSOVER_CHECK(item.gold >= 0, where, ": answerKey '", key, "' is not among the choice labels");
  if (j.contains("id")) item.id = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
  return item;
}

TaskItem convert_piqa(const nlohmann::json& j, const std::string& where) {
  TaskItem item;
  item.context = "Question: " + get_string(j, "goal", where) + "\nAnswer:";
  item.choices = {get_string(j, "sol1", where), get_string(j, "sol2", where)};
  CROSSOVER_CHECK(j.contains("label"), where, ": PIQA record without 'label'; hint: the "
                  "original release keeps labels in a separate .lst file — add them as \"label\"");
  item.gold = get_label(j, "label", where);
  if (j.contains("id")) item.id = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
  return item;
}

TaskItem convert_mmlu(const nlohmann::json& j, const std::string& where) {
  TaskItem item;
  CROSSOVER_CHECK(j.contains("choices") && j["choices"].is_array() && j["choices"].size() == 4,
                  where, ": MMLU expects 'choices' with 4 strings");
  std::string subject = py_replace(get_string(j, "subject", where), "_", " ");
  std::string text = py_strip(get_string(j, "question", where));
  const char* letters[] = {"A", "B", "C", "D"};
  for (int i = 0; i < 4; ++i)
    text += str_cat("\n", letters[i], ". ", j["choices"][i].get<std::string>());
  item.context = "The following are multiple choice questions (with answers) about " + subject +
                 ".\n\n" + text + "\nAnswer:";
  item.choices = {"A", "B", "C", "D"};
  item.gold = get_label(j, "answer", where);
  return item;
}

}  // namespace

const std::vector<std::string>& task_formats() {
  static const std::vector<std::string> kFormats = {"hellaswag", "arc", "piqa", "mmlu"};
  return kFormats;
}

std::string hellaswag_preprocess(const std::string& text) {
  std::string t = py_strip(text);
  t = py_replace(t, " [title]", ". ");
  t = remove_brackets(t);
  return py_replace(t, "  ", " ");
}

TaskItem convert_task_record(const std::string& format, const nlohmann::json& record,
                             const std::string& where) {
  CROSSOVER_CHECK(record.is_object(), where, ": expected a JSON object");
  TaskItem item;
  if (format == "hellaswag") {
    item = convert_hellaswag(record, where);
  } else if (format == "arc") {
    item = convert_arc(record, where);
  } else if (format == "piqa") {
    item = convert_piqa(record, where);
  } else if (format == "mmlu") {
    item = convert_mmlu(record, where);
  } else {
    throw UsageError(str_cat("unknown task format '", format, "' (", str_join(task_formats(), " | "),
                             ")", did_you_mean(format, task_formats())));
  }
  CROSSOVER_CHECK(item.gold >= 0 && item.gold < static_cast<int64_t>(item.choices.size()), where,
                  ": answer index ", item.gold, " out of range for ", item.choices.size(), " choices");
  return item;
}

int64_t convert_task_file(const std::string& format, const std::string& in_path,
                          const std::string& out_path) {
  std::ifstream in(in_path);
  CROSSOVER_CHECK(in, "cannot open '", in_path, "'");
  std::vector<TaskItem> items;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(kSpace) == std::string::npos) continue;
    std::string where = str_cat(in_path, ":", line_no);
    auto j = nlohmann::json::parse(line, nullptr, false);
    CROSSOVER_CHECK(!j.is_discarded(), where, ": not valid JSON");
    items.push_back(convert_task_record(format, j, where));
  }
  CROSSOVER_CHECK(!items.empty(), "'", in_path, "' holds no records");
  write_task(out_path, items);
  return static_cast<int64_t>(items.size());
}

}  // namespace crossover
