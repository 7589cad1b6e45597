// signals.cpp — the SIGINT/SIGTERM handlers and the stop flag they set (signals.h).
#include "crossover/util/signals.h"

#include <atomic>
#include <csignal>

namespace crossover {
namespace {

std::atomic<int> g_signal{0};

void on_signal(int sig) {
  g_signal.store(sig);
  std::signal(sig, SIG_DFL);  // a second Ctrl-C kills at once
}

}  // namespace

void install_stop_signals() {
  g_signal.store(0);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool stop_requested() { return g_signal.load() != 0; }
int stop_signal() { return g_signal.load(); }
void clear_stop_request() { g_signal.store(0); }

}  // namespace crossover
