// stopwatch.h — elapsed wall-clock seconds on the steady clock, the one timer
// behind every "_s" metric, throughput and ETA; and the Unix time for timestamps.
#pragma once

#include <chrono>

namespace crossover {

class Stopwatch {
 public:
  Stopwatch() : t0_(std::chrono::steady_clock::now()) {}
  // Seconds since construction or the last restart().
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }
  void restart() { t0_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point t0_;
};

// Wall-clock seconds since the Unix epoch (system clock): timestamps in
// metrics.jsonl and TensorBoard events, not durations.
inline double unix_time_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace crossover
