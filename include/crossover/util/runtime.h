// runtime.h — process-wide torch settings: intra-op threads, the compute
// device, TF32 and deterministic kernels. Plain values in, so util/ depends on
// nothing of the project; distributed/process_setup.h fills them from the config's
// `runtime:` section and torchrun's environment.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace crossover {

struct RuntimeOptions {
  std::string device = "auto";     // auto | cpu | cuda (runtime.device)
  int64_t threads = 0;             // 0 = this process's share of the cores
  bool bf16_requested = false;  // runtime.precision=bf16 (only warned about here: autocast is CUDA-only)
  bool deterministic = false;      // deterministic kernels (+ CUBLAS_WORKSPACE_CONFIG)
  bool tf32 = true;                // TF32 tensor cores for fp32 matmuls on CUDA
  int64_t local_rank = 0;          // this process's index on its node (LOCAL_RANK)
  int64_t local_world_size = 1;    // processes on this node (LOCAL_WORLD_SIZE)
};

// The one device choice of every command (train, eval, bench, dist-check), made
// before any process group exists: `name` is runtime.device, `local_rank` the
// process's index on its node, `cuda_devices` how many CUDA devices it sees.
//   cpu -> CPU; cuda -> cuda:<local_rank>; auto -> cuda:<local_rank> when a
//   device is visible, else CPU.
// Throws UsageError for cuda without devices, for local_rank >= cuda_devices
// (ranks would share a GPU, which NCCL refuses), and for unknown names.
torch::Device choose_device(const std::string& name, int64_t local_rank, int64_t cuda_devices);

// choose_device with this machine's CUDA device count.
torch::Device resolve_device(const std::string& name, int64_t local_rank = 0);

// The CUDA device count (0 without CUDA or without a CUDA build).
int64_t cuda_device_count();

// Applies the options to this process and returns the device: threads
// (0 = hardware threads / local_world_size; more than the hardware: capped
// with a warning), TF32 for fp32 matmuls on CUDA, deterministic algorithms
// with CUBLAS_WORKSPACE_CONFIG=:4096:8 unless already set (cuBLAS needs it
// before its first handle), and, on CUDA, makes the device current.
torch::Device runtime_setup(const RuntimeOptions& o);

// The intra-op thread count runtime_setup picks (pure).
int64_t runtime_threads(int64_t threads, int64_t local_world_size, int64_t hardware);

int64_t hardware_threads();

}  // namespace crossover
