// device_info.h — facts about the compute device that metrics need: peak
// FLOP/s for MFU and peak memory.
#pragma once

#include <torch/types.h>

#include <string>

namespace crossover {

// Dense (no 2:4 sparsity) peak FLOP/s of the GPU named `name` (as CUDA reports
// it, e.g. "NVIDIA H100 80GB HBM3"): bf16 tensor cores when `bf16`, else TF32
// tensor cores when `tf32`, else plain fp32 (CUDA cores). From NVIDIA's data
// sheets: H100/H200/H800/GH200 SXM 989.4 / 494.7 / 66.9 TFLOP/s, H100 PCIe
// 756 / 378 / 51.2, H100/H200 NVL 835 / 417.5 / 60, A100 312 / 156 / 19.5,
// B200 2250 / 1100 / 75 (per GPU). 0 for a name not in the table.
double gpu_peak_flops(const std::string& name, bool bf16, bool tf32);

// Peak dense FLOP/s of `device` for the training precision. `configured` > 0
// wins. CUDA: gpu_peak_flops of the device's name, with TF32 as runtime.tf32
// set it; a GPU not in the table counts 100e12 (bf16; half for fp32) and says
// so once. CPU: threads x 2.5 GHz x 32 fp32 FLOP/cycle (AVX2/AVX-512 FMA), a
// rough figure, which is why train.peak_flops exists.
double peak_flops(torch::Device device, bool bf16, double configured);

// Peak memory in MiB: CUDA allocator peak on CUDA, process max RSS on CPU.
double peak_memory_mb(torch::Device device);

// Resident memory of this process now, MiB (/proc/self/statm).
double current_rss_mb();

// Bytes a new allocation can still get: the device's total memory on CUDA,
// MemAvailable (/proc/meminfo) on CPU; 0 when unknown.
double available_memory_bytes(torch::Device device);

}  // namespace crossover
