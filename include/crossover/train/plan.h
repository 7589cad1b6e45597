// plan.h — what a config will cost before it runs: parameters, bytes per rank
// (weights, gradients, AdamW state, activations) for each way of sharding and
// with or without activation checkpointing, whether that fits the device, the
// FLOPs per token (the MFU convention of model_size.h), and the step time,
// tokens/s and GPU-hours at an assumed MFU. `crossover plan` prints it.
//
// The memory model (per rank, bytes; P parameters, W ranks, b micro-batch rows,
// T tokens, s bytes per activation element: 4 fp32, 2 under bf16 autocast):
//   weights      4 P                       (fp32 master weights, always)
//   gradients    4 P, or 4 P / W when sharded (dist.shard: gradients)
//   optimizer    8 P, or 8 P / W when sharded (optimizer or gradients)
//   activations  b T [L a_layer + a_head]   saved for backward, where
//     a_layer = s (13 C + 4 F)   per token with H = KV (norm inputs/outputs, raw
//               and normed q k v, the attention inputs and output; SwiGLU gate/up,
//               silu(gate) and product; GQA: k, v expanded to H heads),
//               + H T (s + 1) with attention dropout (the T x T probabilities
//               and mask of the math kernel), + 2 C with residual dropout (masks);
//               MoE: the top_k experts' SwiGLU terms;
//     a_head  = s 3 C + 12 V   (final norm; fp32 logits, their softmax and their
//               gradient at the start of backward)
//   runtime      DeviceSpec::runtime_bytes
//   checkpointing (model.activation_checkpointing: blocks) keeps s C per
//   checkpointed block and recomputes one block at a time: L s C + a_layer.
// Validated against measured peak memory on CPU by scripts/bench_memory.sh
// (docs/plan.md gives the errors).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crossover/config/config.h"
#include "crossover/model/model_size.h"

namespace crossover {

struct DeviceSpec {
  std::string name;          // h100 | h200 | a100 | cpu
  double memory_bytes = 0;   // per device
  double peak_flops = 0;     // dense bf16 (fp32 on cpu) FLOP/s per device
  bool bf16 = false;         // the training precision this device gets with runtime.precision
  // Held besides the model: CPU ~20 MiB (measured: an almost empty model's
  // training peak); CUDA an assumed 1 GiB (context, cuBLAS workspace, NCCL buffers).
  double runtime_bytes = 0;
};
// Throws UsageError for an unknown name; `precision` is runtime.precision.
DeviceSpec device_spec(const std::string& name, const std::string& precision);

struct MemoryPlan {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0;
  double runtime = 0;  // what the framework holds besides (see DeviceSpec)
  double total() const { return weights + gradients + optimizer + activations + runtime; }
};

struct Plan {
  ModelSize size;
  double flops_per_token = 0;      // 6 N_matmul + 12 L C T (model_size.h)
  int64_t gpus = 1;
  DeviceSpec device;
  int64_t micro_batch = 0;         // rows per forward on one rank
  // [shard][ckpt]: shard 0 none, 1 optimizer, 2 gradients; ckpt 0 off, 1 blocks.
  MemoryPlan memory[3][2];
  int chosen_shard = 0;            // what the config asks for
  bool chosen_ckpt = false;
  double mfu = 0.4;                // assumed
  double step_tokens = 0;          // global batch x T
  double step_time_s = 0, tokens_per_s = 0, gpu_hours = 0;
  double usable_fraction = 0.9;    // of device memory (allocator, CUDA context)
  bool fits(int shard, bool ckpt) const {
    return memory[shard][ckpt].total() <= usable_fraction * device.memory_bytes;
  }
};

// vocab: the dataset's (used when model.vocab_size is auto). `shard` is the
// config's dist.shard (none | optimizer | gradients).
Plan make_plan(const Config& cfg, int64_t vocab, int64_t gpus, const DeviceSpec& device,
               double mfu, const std::string& shard = "none");

// Activation bytes one rank keeps for backward for `micro` rows (model above).
double activation_bytes(const Config& cfg, int64_t vocab, int64_t micro, bool bf16, bool ckpt);

// A human-readable report (several lines) and one CSV-ish summary line.
std::string plan_report(const Plan& p, const std::string& title);
std::string plan_row(const Plan& p, const std::string& name);
std::string plan_json(const Plan& p);  // every number above, bytes and seconds

}  // namespace crossover
