// log.h — the logging facade. spdlog lives behind these plain functions so that
// translation units including torch never include spdlog/fmt (the torch wheel
// bundles its own fmt, and mixing the two breaks the build).
//
// Console: info by default, rank 0 only. Run log file: debug, every rank that
// owns one. Format your message with str_cat(...) before calling.
#pragma once

#include <string>

namespace crossover {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// "trace" | "debug" | "info" | "warn" | "error" | "off"; throws UsageError otherwise.
LogLevel parse_log_level(const std::string& name);

// Console logger for this process. Ranks other than 0 log warnings and errors only.
void log_init(LogLevel console_level, int rank = 0);
// Adds a debug-level file sink (the run directory's log); replaces an earlier one.
void log_add_file(const std::string& path);
// Flushes and closes the file sink (before a run directory is moved or deleted).
void log_close_file();
// The first error a log sink reported (e.g. log.txt on a full disk); "" if none.
// Sink errors never throw through a log call; callers that must not lose the
// log check this.
std::string log_file_error();
void log_set_console_level(LogLevel level);

void log_trace(const std::string& msg);
void log_debug(const std::string& msg);
void log_info(const std::string& msg);
void log_warn(const std::string& msg);
void log_error(const std::string& msg);

}  // namespace crossover
