// device_info.cpp — peak FLOP/s and memory of the compute device, for MFU and the planner (device_info.h).
#include "crossover/util/device_info.h"

#include <sys/resource.h>
#include <unistd.h>
#include <torch/torch.h>

#include <fstream>
#include <string>

#include "crossover/util/check.h"
#include "crossover/util/log.h"

#ifdef CROSSOVER_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace crossover {

namespace {
bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }
}  // namespace

double gpu_peak_flops(const std::string& name, bool bf16, bool tf32) {
  struct Peak {
    double bf16, tf32, fp32;  // TFLOP/s, dense
  };
  Peak p{0, 0, 0};
  const bool hopper = has(name, "H100") || has(name, "H200") || has(name, "H800") || has(name, "GH200");
  if (hopper && has(name, "PCIe"))
    p = {756, 378, 51.2};
  else if (hopper && has(name, "NVL"))
    p = {835, 417.5, 60};
  else if (hopper)  // SXM (H100 80GB HBM3, H200, H800, GH200 480GB)
    p = {989.4, 494.7, 66.9};
  else if (has(name, "A100") || has(name, "A800"))
    p = {312, 156, 19.5};
  else if (has(name, "B200"))
    p = {2250, 1100, 75};
  return 1e12 * (bf16 ? p.bf16 : tf32 ? p.tf32 : p.fp32);
}

double peak_flops(torch::Device device, bool bf16, double configured) {
  if (configured > 0) return configured;
  if (device.is_cuda()) {
#ifdef CROSSOVER_CUDA
    const std::string name = at::cuda::getDeviceProperties(device.index())->name;
    const bool tf32 = at::globalContext().float32Precision(at::Float32Backend::CUDA,
                                                           at::Float32Op::MATMUL) ==
                      at::Float32Precision::TF32;
    const double peak = gpu_peak_flops(name, bf16, tf32);
    if (peak > 0) return peak;
    static bool said = false;
    if (!said)
      log_warn(str_cat("peak FLOP/s of '", name, "' unknown; MFU assumes 100 TFLOP/s bf16 "
                       "(hint: set train.peak_flops)"));
    said = true;
    return bf16 ? 100e12 : 50e12;
#endif
  }
  return static_cast<double>(torch::get_num_threads()) * 2.5e9 * 32.0;
}

double peak_memory_mb(torch::Device device) {
  if (device.is_cuda()) {
#ifdef CROSSOVER_CUDA
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    return static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);
#endif
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
}

double current_rss_mb() {
  std::ifstream in("/proc/self/statm");
  double size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double available_memory_bytes(torch::Device device) {
  if (device.is_cuda()) {
#ifdef CROSSOVER_CUDA
    return static_cast<double>(at::cuda::getDeviceProperties(device.index())->totalGlobalMem);
#endif
    return 0;
  }
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  double kib = 0;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024.0;
  return 0;
}

}  // namespace crossover
