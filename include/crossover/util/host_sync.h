// host_sync.h — a count of the places on the training hot path that read a
// device value on the host (.item(), .cpu(), a size that depends on device
// data). On a GPU each of these drains the launch queue and stalls the host,
// so the training step keeps them out of its steady state; the count lets a
// CPU test prove it (tests/train/host_sync_test.cpp). Counting is by call
// site, whatever the device: what a GPU run would pay, measured on a CPU.
#pragma once

#include <atomic>
#include <cstdint>

namespace crossover {

inline std::atomic<int64_t> g_host_syncs{0};  // one counter per program (C++17 inline)

// Called next to every such read.
inline void count_host_sync() { g_host_syncs.fetch_add(1, std::memory_order_relaxed); }
// Reads since the program started (monotonic; tests take differences).
inline int64_t host_sync_count() { return g_host_syncs.load(std::memory_order_relaxed); }

}  // namespace crossover
