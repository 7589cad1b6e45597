// strings.h — small string helpers shared by every area (no torch, no fmt).
//
// str_cat(...) streams its arguments into one string; it is what the check
// macro and the logging facade use instead of fmt, so torch translation units
// never see fmt/spdlog headers.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace crossover {

template <class... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// Splits on a single character; empty fields are kept.
std::vector<std::string> str_split(const std::string& s, char sep);
std::string str_join(const std::vector<std::string>& parts, const std::string& sep);
std::string str_trim(const std::string& s);
bool str_starts_with(const std::string& s, const std::string& prefix);
bool str_ends_with(const std::string& s, const std::string& suffix);

// Levenshtein distance, used to suggest the nearest valid config key or command.
size_t edit_distance(const std::string& a, const std::string& b);
// The candidate closest to `word`, or "" when nothing is reasonably close.
std::string nearest_word(const std::string& word, const std::vector<std::string>& candidates);
// " (did you mean '<prefix><nearest>'?)" for an error message, or "" when
// nothing is close: the one wording of every suggestion (keys, commands, options).
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                         const std::string& prefix = "");

// Human-readable counts: 1234567 -> "1.23M".
std::string human_count(double n);

}  // namespace crossover
