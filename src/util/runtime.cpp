// runtime.cpp — applying the process-wide torch settings: threads, TF32, determinism (runtime.h).
#include "crossover/util/runtime.h"

#include <torch/torch.h>

#include <cstdlib>
#include <thread>

#ifdef CROSSOVER_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

#include "crossover/util/check.h"
#include "crossover/util/log.h"

namespace crossover {

int64_t hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int64_t>(n);
}

int64_t cuda_device_count() {
  return torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
}

torch::Device choose_device(const std::string& name, int64_t local_rank, int64_t cuda_devices) {
  if (name == "cpu") return torch::kCPU;
  if (name != "cuda" && name != "auto")
    throw UsageError(str_cat("runtime.device='", name, "' is not a device (hint: auto, cpu or cuda)"));
  if (cuda_devices <= 0) {
    if (name == "cuda")
      throw UsageError("runtime.device=cuda but no CUDA device is available (hint: --set "
                       "runtime.device=cpu)");
    return torch::kCPU;
  }
  if (local_rank < 0 || local_rank >= cuda_devices)
    throw UsageError(str_cat("LOCAL_RANK=", local_rank, " but this process sees ", cuda_devices,
                             " CUDA device(s), so ranks would share a GPU (hint: start at most ",
                             cuda_devices, " ranks per node with --nproc_per_node, or check "
                             "CUDA_VISIBLE_DEVICES)"));
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
}

torch::Device resolve_device(const std::string& name, int64_t local_rank) {
  // No CUDA query for cpu: a CPU run never initialises the CUDA runtime.
  return choose_device(name, local_rank, name == "cpu" ? 0 : cuda_device_count());
}

int64_t runtime_threads(int64_t threads, int64_t local_world_size, int64_t hardware) {
  if (threads == 0) return std::max<int64_t>(1, hardware / std::max<int64_t>(1, local_world_size));
  return std::min(threads, hardware);
}

torch::Device runtime_setup(const RuntimeOptions& o) {
  const int64_t threads = runtime_threads(o.threads, o.local_world_size, hardware_threads());
  if (o.threads > hardware_threads())
    log_warn(str_cat("runtime.threads=", o.threads, " exceeds the ", hardware_threads(),
                     " hardware threads of this machine; using ", threads));
  torch::set_num_threads(static_cast<int>(threads));
  if (o.deterministic) {
    // cuBLAS reads it when its first handle is made: before any CUDA matmul.
    setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
    at::globalContext().setDeterministicAlgorithms(true, false);
  }
  // fp32 matmuls (runtime.precision=fp32, and fp32 ops under autocast) on
  // tensor cores; a CUDA-only setting, CPU kernels are untouched. The legacy
  // setter on purpose: it sets the legacy and the new (fp32_precision) state
  // together, while the new setter alone leaves them disagreeing and cuBLAS's
  // allowTF32CuBLAS() check then throws ("mix of the legacy and new APIs").
  at::globalContext().setAllowTF32CuBLAS(o.tf32);
  torch::Device device = resolve_device(o.device, o.local_rank);
#ifdef CROSSOVER_CUDA
  if (device.is_cuda()) c10::cuda::set_device(device.index());
#endif
  if (o.bf16_requested && !device.is_cuda())
    log_warn("runtime.precision=bf16: bf16 autocast is CUDA-only; this CPU run computes in fp32 "
             "(set runtime.precision: auto or fp32 to silence this)");
  return device;
}

}  // namespace crossover
