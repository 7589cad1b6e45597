// sources.cpp — reading text files, globs, directories, JSONL and built-ins.
#include "crossover/data/sources.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crossover/util/check.h"
#include "crossover/util/file_io.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

const char* kDocsApt = "sudo apt-get install -y python3.11-doc";

bool looks_binary(const std::string& text) {
  size_t n = std::min<size_t>(text.size(), 8192);
  return text.find('\0') < n;
}

// Highest-versioned directory matching `pattern` (glob) that contains `probe`.
std::string highest_python_dir(const std::string& pattern, const std::string& probe) {
  glob_t g;
  std::vector<std::pair<int, std::string>> found;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string p = g.gl_pathv[i];
      size_t dot = p.find("python3.");
      if (dot == std::string::npos) continue;
      int minor = std::atoi(p.c_str() + dot + 8);
      if (fs::exists(fs::path(p) / probe)) found.push_back({minor, p});
    }
  }
  ::globfree(&g);
  if (found.empty()) return "";
  return std::max_element(found.begin(), found.end())->second;
}

std::vector<std::string> files_under(const std::string& dir, const std::string& suffix,
                                     bool python_stdlib) {
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory()) {
      if (python_stdlib && (name == "site-packages" || name == "dist-packages" ||
                            name == "__pycache__"))
        it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && str_ends_with(name, suffix)) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Document> read_files(const std::vector<std::string>& files, int32_t source,
                                 bool skip_binary) {
  std::vector<Document> docs;
  for (const auto& f : files) {
    std::string text = read_file_text(f);
    if (text.empty() || (skip_binary && looks_binary(text))) continue;
    docs.push_back({std::move(text), source, f});
  }
  return docs;
}

std::vector<Document> read_jsonl(const std::string& path, int32_t source) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(str_cat("cannot read '", path, "'; hint: check the path and permissions"));
  std::vector<Document> docs;
  std::string line;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (str_trim(line).empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception&) {
      throw Error(str_cat(path, ":", lineno, ": not valid JSON; hint: JSONL needs one object per "
                          "line with a string field \"text\""));
    }
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
      throw Error(str_cat(path, ":", lineno, ": no string field \"text\"; hint: JSONL needs one "
                          "object per line with a string field \"text\""));
    std::string text = j["text"].get<std::string>();
    if (!text.empty()) docs.push_back({std::move(text), source, str_cat(path, ":", lineno)});
  }
  return docs;
}

}  // namespace

SourceSpec parse_source_spec(const std::string& spec) {
  SourceSpec s;
  if (spec.find('=') == std::string::npos) {
    s.path = spec;
  } else {
    for (const std::string& part : str_split(spec, ',')) {
      size_t eq = part.find('=');
      if (eq == std::string::npos)
        throw UsageError(str_cat("bad source spec '", spec, "': '", part, "' is not key=value; "
                                 "hint: label=NAME,weight=W,path=PATH"));
      std::string key = str_trim(part.substr(0, eq)), value = str_trim(part.substr(eq + 1));
      if (key == "path") {
        s.path = value;
      } else if (key == "label") {
        s.label = value;
      } else if (key == "weight") {
        char* end = nullptr;
        s.weight = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !(s.weight > 0) || s.weight > 1000)
          throw UsageError(str_cat("bad weight '", value, "' in source spec '", spec,
                                   "'; hint: a number in (0, 1000]"));
      } else {
        throw UsageError(str_cat("unknown key '", key, "' in source spec '", spec,
                                 "'; hint: keys are label, weight, path"));
      }
    }
  }
  if (s.path.empty())
    throw UsageError(str_cat("source spec '", spec, "' has no path; hint: path=FILE|GLOB|DIR"));
  if (str_starts_with(s.path, "quality-")) s.tier = parse_quality_tier(s.path.substr(8));
  if (s.label.empty()) s.label = s.path;
  return s;
}

std::string find_python_stdlib_dir() {
  if (const char* env = std::getenv("CROSSOVER_PYTHON_STDLIB")) return env;
  std::string dir = highest_python_dir("/usr/lib/python3.*", "os.py");
  if (dir.empty())
    throw Error("built-in corpus python-stdlib: no /usr/lib/python3.N with os.py; hint: "
                "sudo apt-get install -y libpython3-stdlib, or set CROSSOVER_PYTHON_STDLIB=DIR");
  return dir;
}

std::string find_python_docs_dir() {
  if (const char* env = std::getenv("CROSSOVER_PYTHON_DOCS")) return env;
  std::string dir = highest_python_dir("/usr/share/doc/python3.*/html/_sources", "contents.rst.txt");
  if (dir.empty())
    throw Error(str_cat("built-in corpus python-docs: /usr/share/doc/python3.N/html/_sources "
                        "not found; hint: ", kDocsApt));
  return dir;
}

std::vector<Document> read_source(const SourceSpec& spec, int32_t source_index) {
  std::vector<Document> docs;
  const std::string& p = spec.path;
  if (p == "python-stdlib") {
    docs = read_files(files_under(find_python_stdlib_dir(), ".py", true), source_index, false);
  } else if (p == "python-docs" || spec.tier != QualityTier::kNone) {
    docs = read_files(files_under(find_python_docs_dir(), ".rst.txt", false), source_index, false);
  } else if (p.find_first_of("*?[") != std::string::npos) {
    glob_t g;
    std::vector<std::string> files;
    if (::glob(p.c_str(), 0, nullptr, &g) == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i)
        if (fs::is_regular_file(g.gl_pathv[i])) files.push_back(g.gl_pathv[i]);
    ::globfree(&g);
    if (files.empty())
      throw UsageError(str_cat("source '", p, "' matches no files; hint: quote the glob so the "
                               "shell does not expand it, and check the directory"));
    std::sort(files.begin(), files.end());
    docs = read_files(files, source_index, true);
  } else if (fs::is_directory(p)) {
    docs = read_files(files_under(p, "", false), source_index, true);
  } else if (!fs::exists(p)) {
    throw UsageError(str_cat("source '", p, "' does not exist; hint: give a file, glob, directory, "
                             ".jsonl, or a built-in (python-stdlib, python-docs, quality-high|"
                             "medium|low)"));
  } else if (str_ends_with(p, ".jsonl")) {
    docs = read_jsonl(p, source_index);
  } else {
    docs = read_files({p}, source_index, false);
  }
  if (docs.empty())
    throw UsageError(str_cat("source '", spec.label, "' has no non-empty documents; hint: check "
                             "the path and the files' contents"));
  return docs;
}

}  // namespace crossover
