// quality.cpp — reST cleaning and deterministic degradation for the tiers.
#include "crossover/data/quality.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <vector>

#include "crossover/util/check.h"

namespace crossover {
namespace {

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines = str_split(s, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

size_t indent_of(const std::string& line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

bool is_blank(const std::string& line) { return str_trim(line).empty(); }

// A section adornment: 3+ copies of one punctuation character.
bool is_adornment(const std::string& line) {
  std::string t = str_trim(line);
  if (t.size() < 3 || !std::ispunct(static_cast<unsigned char>(t[0]))) return false;
  return std::all_of(t.begin(), t.end(), [&](char c) { return c == t[0]; });
}

// Inline markup: :role:`text <target>` -> text, ``literal`` -> literal,
// `link <url>`_ -> link, **strong** -> strong.
std::string clean_inline(const std::string& s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    // role prefix(es) directly before a backtick: ":py:func:`"
    if (s[i] == ':') {
      size_t j = i;
      while (j < s.size() && s[j] == ':') {
        size_t k = j + 1;
        while (k < s.size() && (std::isalnum(static_cast<unsigned char>(s[k])) || s[k] == '-' ||
                                s[k] == '_' || s[k] == '.' || s[k] == '+'))
          ++k;
        if (k == j + 1 || k >= s.size() || s[k] != ':') break;
        j = k + 1;
      }
      if (j > i && j < s.size() && s[j] == '`') {
        i = j;
        continue;
      }
    }
    if (s.compare(i, 2, "``") == 0) {
      size_t end = s.find("``", i + 2);
      if (end != std::string::npos) {
        out += s.substr(i + 2, end - i - 2);
        i = end + 2;
        continue;
      }
    }
    if (s[i] == '`') {
      size_t end = s.find('`', i + 1);
      if (end != std::string::npos) {
        std::string t = s.substr(i + 1, end - i - 1);
        size_t lt = t.rfind(" <");
        if (lt != std::string::npos && !t.empty() && t.back() == '>') t = t.substr(0, lt);
        if (!t.empty() && (t[0] == '~' || t[0] == '!')) t = t.substr(1);
        out += t;
        i = end + 1;
        while (i < s.size() && s[i] == '_') ++i;
        continue;
      }
    }
    if (s.compare(i, 2, "**") == 0) {
      size_t end = s.find("**", i + 2);
      if (end != std::string::npos && end > i + 2) {
        out += s.substr(i + 2, end - i - 2);
        i = end + 2;
        continue;
      }
    }
    out += s[i++];
  }
  // A paragraph ending in "::" introduces a literal block; Sphinx shows ":".
  if (str_ends_with(out, "::")) out.pop_back();
  return out;
}

bool is_signature_directive(const std::string& name) {
  static const char* kNames[] = {"function", "class", "method", "attribute", "data",
                                 "exception", "decorator", "classmethod", "staticmethod",
                                 "coroutinefunction", "coroutinemethod", "abstractmethod",
                                 "opcode", "cmdoption", "envvar", "describe", "option"};
  for (const char* n : kNames)
    if (name == n || name == std::string("py:") + n || name == std::string("c:") + n) return true;
  return false;
}

bool is_body_kept_directive(const std::string& name) {
  // Directives whose indented body is content (prose or code).
  static const char* kDrop[] = {"index", "toctree", "highlight", "module", "currentmodule",
                                "sectionauthor", "moduleauthor", "only", "raw", "include",
                                "literalinclude", "image", "figure", "tabularcolumns",
                                "audit-event", "impl-detail", "productionlist", "testsetup",
                                "testcleanup", "availability"};
  for (const char* n : kDrop)
    if (name == n) return false;
  return true;
}

}  // namespace

QualityTier parse_quality_tier(const std::string& name) {
  if (name == "high") return QualityTier::kHigh;
  if (name == "medium") return QualityTier::kMedium;
  if (name == "low") return QualityTier::kLow;
  throw UsageError(str_cat("unknown quality tier '", name, "'; hint: use high, medium or low"));
}

std::string quality_tier_name(QualityTier t) {
  switch (t) {
    case QualityTier::kHigh: return "high";
    case QualityTier::kMedium: return "medium";
    case QualityTier::kLow: return "low";
    default: return "none";
  }
}

std::string rst_to_text(const std::string& rst) {
  std::vector<std::string> lines = split_lines(rst);
  std::string out;
  int blank_run = 0;
  size_t skip_indent = std::string::npos;  // dropping an indented block deeper than this
  bool in_options = false;                 // ":opt: value" lines right after a directive
  size_t options_indent = 0;
  auto emit = [&](const std::string& line) {
    if (is_blank(line)) {
      if (++blank_run > 1 || out.empty()) return;
      out += "\n";
      return;
    }
    blank_run = 0;
    out += line;
    out += "\n";
  };
  for (const std::string& raw : lines) {
    std::string line = raw;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t'))
      line.pop_back();
    size_t ind = indent_of(line);
    if (skip_indent != std::string::npos) {
      if (line.empty() || ind > skip_indent) continue;
      skip_indent = std::string::npos;
    }
    if (in_options) {
      std::string t = str_trim(line);
      if (ind > options_indent && t.size() > 1 && t[0] == ':' && t.find(':', 1) != std::string::npos)
        continue;
      in_options = false;
    }
    if (is_adornment(line)) continue;
    std::string t = line.substr(ind);
    if (str_starts_with(t, "..")) {
      size_t colons = t.find("::");
      if (str_starts_with(t, ".. ") && colons != std::string::npos && t[3] != '_' && t[3] != '[') {
        std::string name = str_trim(t.substr(3, colons - 3));
        std::string arg = str_trim(t.substr(colons + 2));
        in_options = true;
        options_indent = ind;
        if (is_signature_directive(name)) {
          if (!arg.empty()) emit(std::string(ind, ' ') + arg);
        } else if (!is_body_kept_directive(name)) {
          skip_indent = ind;
        }
        continue;
      }
      skip_indent = ind;  // comment, target (.. _x:) or footnote: drop with its block
      continue;
    }
    emit(clean_inline(line));
  }
  return out;
}

std::string degrade_text(const std::string& text, uint64_t seed) {
  static const char* kBoilerplate =
      "Navigation: index | modules | next | previous | Python documentation\n"
      "Copyright (c) Python Software Foundation. All rights reserved.\n"
      "This page is licensed under the PSF License Version 2. See History and License.\n"
      "Last updated on Jan 01, 2024. Found a bug? Created using Sphinx.\n\n";
  std::mt19937_64 rng(seed);
  std::vector<std::string> lines = split_lines(text);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t b = 0; b + 1 < lines.size(); b += 4) {
    if (u(rng) < 0.5) {
      auto end = lines.begin() + std::min(lines.size(), b + 4);
      std::shuffle(lines.begin() + b, end, rng);
    }
  }
  std::string out = kBoilerplate;
  for (const auto& l : lines) out += l + "\n";
  std::uniform_int_distribution<int> printable(32, 126);
  for (size_t i = std::char_traits<char>::length(kBoilerplate); i < out.size(); ++i)
    if (out[i] != '\n' && u(rng) < 0.02) out[i] = static_cast<char>(printable(rng));
  return out;
}

std::string render_tier(const std::string& raw_rst, QualityTier tier, uint64_t seed) {
  switch (tier) {
    case QualityTier::kHigh: return rst_to_text(raw_rst);
    case QualityTier::kMedium: return raw_rst;
    case QualityTier::kLow: return degrade_text(raw_rst, seed);
    default: return raw_rst;
  }
}

}  // namespace crossover
