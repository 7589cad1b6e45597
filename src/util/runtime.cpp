#include "crossover/util/runtime.h"

#include <torch/torch.h>

#include <thread>

#include "crossover/util/check.h"
#include "crossover/util/log.h"

namespace crossover {

int64_t hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int64_t>(n);
}

torch::Device resolve_device(const std::string& name, int64_t local_rank) {
  if (name == "cpu") return torch::kCPU;
  bool cuda = torch::cuda::is_available();
  if (name == "cuda") {
    if (!cuda)
      throw UsageError(
          "runtime.device=cuda but no CUDA device is available (hint: --set runtime.device=cpu)");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
  }
  CROSSOVER_CHECK(name == "auto", "unknown device '", name, "'");
  return cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank))
              : torch::Device(torch::kCPU);
}

torch::Device runtime_setup(const RuntimeConfig& rc) {
  int64_t threads = rc.threads == 0 ? hardware_threads() : rc.threads;
  if (threads > hardware_threads()) {
    log_warn(str_cat("runtime.threads=", rc.threads, " exceeds the ", hardware_threads(),
                     " hardware threads of this machine; using ", hardware_threads()));
    threads = hardware_threads();
  }
  torch::set_num_threads(static_cast<int>(threads));
  if (rc.deterministic) at::globalContext().setDeterministicAlgorithms(true, false);
  torch::Device device = resolve_device(rc.device);
  if (rc.precision == "bf16" && !device.is_cuda())
    log_warn("runtime.precision=bf16: bf16 autocast is CUDA-only; this CPU run computes in fp32 "
             "(set runtime.precision: auto or fp32 to silence this)");
  return device;
}

}  // namespace crossover
