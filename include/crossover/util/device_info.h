// device_info.h — facts about the compute device that metrics need: peak
// FLOP/s for MFU and peak memory.
#pragma once

#include <torch/types.h>

namespace crossover {

// Peak dense FLOP/s of `device` for the training precision. `configured` > 0
// wins. Built-in guesses: H100/H200 bf16 989e12, A100 bf16 312e12, other CUDA
// 100e12; CPU: threads x 2.5 GHz x 32 fp32 FLOP/cycle (AVX2/AVX-512 FMA),
// a rough figure, which is why train.peak_flops exists.
double peak_flops(torch::Device device, bool bf16, double configured);

// Peak memory in MiB: CUDA allocator peak on CUDA, process max RSS on CPU.
double peak_memory_mb(torch::Device device);

// Resident memory of this process now, MiB (/proc/self/statm).
double current_rss_mb();

// Bytes a new allocation can still get: the device's total memory on CUDA,
// MemAvailable (/proc/meminfo) on CPU; 0 when unknown.
double available_memory_bytes(torch::Device device);

}  // namespace crossover
