#include "crossover/util/device_info.h"

#include <sys/resource.h>
#include <unistd.h>
#include <torch/torch.h>

#include <fstream>
#include <string>

#ifdef CROSSOVER_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace crossover {

double peak_flops(torch::Device device, bool bf16, double configured) {
  if (configured > 0) return configured;
  if (device.is_cuda()) {
#ifdef CROSSOVER_CUDA
    std::string name = at::cuda::getDeviceProperties(device.index())->name;
    double bf16_peak = 100e12;
    if (name.find("H100") != std::string::npos || name.find("H200") != std::string::npos ||
        name.find("H800") != std::string::npos)
      bf16_peak = 989e12;
    else if (name.find("A100") != std::string::npos || name.find("A800") != std::string::npos)
      bf16_peak = 312e12;
    return bf16 ? bf16_peak : bf16_peak / 2;
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
