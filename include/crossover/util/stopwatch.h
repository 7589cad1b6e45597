// stopwatch.h — elapsed wall-clock seconds on the steady clock, the one timer
// behind every "_s" metric, throughput and ETA.
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

}  // namespace crossover
