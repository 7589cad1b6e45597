// host_sync.h — a count of the places on the training hot path that read a
// device value on the host (.item(), .cpu(), a size that depends on device
// data). On a GPU each of these drains the launch queue and stalls the host,
// so the training step keeps them out of its steady state; the count lets a
// CPU test prove it (tests/train/host_sync_test.cpp). Counting is by call
// site, whatever the device: what a GPU run would pay, measured on a CPU.
#pragma once

#include <cstdint>

namespace crossover {

// Called next to every such read.
void count_host_sync();
// Reads since the program started (monotonic; tests take differences).
int64_t host_sync_count();

}  // namespace crossover
