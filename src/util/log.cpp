// The only translation unit that includes spdlog. It must never include torch.
#include "crossover/util/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "crossover/util/check.h"

namespace crossover {
namespace {

struct LogState {
  std::shared_ptr<spdlog::sinks::sink> console;
  std::shared_ptr<spdlog::sinks::sink> file;
  std::shared_ptr<spdlog::logger> logger;
  int rank = 0;
};

spdlog::level::level_enum to_spd(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::string& first_sink_error() {
  static std::string e;
  return e;
}

void rebuild(LogState& s) {
  std::vector<spdlog::sink_ptr> sinks{s.console};
  if (s.file) sinks.push_back(s.file);
  s.logger = std::make_shared<spdlog::logger>("crossover", sinks.begin(), sinks.end());
  s.logger->set_level(spdlog::level::trace);
  s.logger->flush_on(spdlog::level::info);
  s.logger->set_error_handler([](const std::string& msg) {
    if (first_sink_error().empty()) first_sink_error() = msg;
  });
}

LogState& state() {
  static LogState s = [] {
    LogState st;
    st.console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    st.console->set_level(spdlog::level::info);
    st.console->set_pattern("[%H:%M:%S] %^%l%$ %v");
    rebuild(st);
    return st;
  }();
  return s;
}

}  // namespace

LogLevel parse_log_level(const std::string& name) {
  if (name == "trace") return LogLevel::kTrace;
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  if (name == "off") return LogLevel::kOff;
  throw UsageError(str_cat("unknown log level '", name,
                           "' (expected trace, debug, info, warn, error or off)"));
}

void log_init(LogLevel console_level, int rank) {
  auto& s = state();
  s.rank = rank;
  LogLevel eff = console_level;
  if (rank != 0 && eff < LogLevel::kWarn) eff = LogLevel::kWarn;
  s.console->set_level(to_spd(eff));
  if (rank != 0) s.console->set_pattern(str_cat("[%H:%M:%S] [rank ", rank, "] %^%l%$ %v"));
}

void log_set_console_level(LogLevel level) { log_init(level, state().rank); }

void log_add_file(const std::string& path) {
  auto& s = state();
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  file->set_level(spdlog::level::debug);
  file->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
  s.file = file;
  rebuild(s);
}

void log_close_file() {
  auto& s = state();
  if (!s.file) return;
  s.logger->flush();
  s.file.reset();
  rebuild(s);
}

std::string log_file_error() { return first_sink_error(); }

void log_trace(const std::string& msg) { state().logger->trace(msg); }
void log_debug(const std::string& msg) { state().logger->debug(msg); }
void log_info(const std::string& msg) { state().logger->info(msg); }
void log_warn(const std::string& msg) { state().logger->warn(msg); }
void log_error(const std::string& msg) { state().logger->error(msg); }

}  // namespace crossover
