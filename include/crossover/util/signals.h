// signals.h — SIGINT/SIGTERM request a clean stop: the trainer finishes the
// step in flight, writes a checkpoint and exits 0. A second signal of the same
// kind falls back to the default action (immediate termination).
#pragma once

namespace crossover {

void install_stop_signals();
bool stop_requested();
int stop_signal();          // the signal number received, 0 if none
void clear_stop_request();  // tests

}  // namespace crossover
