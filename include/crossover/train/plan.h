// plan.h — what a config will cost before it runs: parameters, bytes per rank
// (weights, gradients, AdamW state, activations) for each way of sharding and
// with or without activation checkpointing, whether that fits the device, the
// FLOPs per token (the MFU convention of model_size.h), and the step time,
// tokens/s and GPU-hours at an assumed MFU. `crossover plan` prints it.
//
// The memory model (per rank, bytes; P parameters, W ranks, b micro-batch rows,
// T tokens, s bytes per activation element: 4 fp32, 2 under bf16 autocast).
// Each part is a buffer the code allocates (tests/distributed/plan_memory_dtest.cpp
// checks the first four against the tensors `crossover train` holds at W = 2):
//   weights        4 P      fp32 master weights (the parameters)
//   weight_copies  2 P_mm   bf16 autocast only: the cast copies of every matmul
//                           weight (P_mm = P minus norms and an untied
//                           embedding table), cached for the forward and saved
//                           for backward (0 in fp32)
//   gradients      .grad: 4 P (shard none/optimizer: micro-batches accumulate
//                  into it); gradients (ZeRO-2): 4 x the largest parameter (each
//                  .grad is moved into its bucket and released as it arrives)
//   grad_buffers   GradSync's buckets (distributed/grad_sync.h), 0 at W = 1;
//                  g = 4 B per element (2 with bf16 buckets, bf16_grad_buckets()):
//                  none: g P; optimizer: 4 P (fp32, they also gather the weights);
//                  gradients: 4 P / W shards + at most two buckets in flight,
//                  g min(P, 2 max(bucket_mb, largest parameter))
//                  (+ the bf16 landing chunks, 1/W of that, with bf16)
//   optimizer      AdamW moments 8 P, or 8 P / W when sharded
//   activations    b T [L a_layer + s 3 C] + h V R   saved for backward, where
//     a_layer = s (13 C + 4 F)   per token with H = KV (norm inputs/outputs, raw
//               and normed q k v, the attention inputs and output; SwiGLU gate/up,
//               silu(gate) and product; GQA: k, v expanded to H heads),
//               + H T (s + 1) with attention dropout (the T x T probabilities
//               and mask of the math kernel), + 2 C with residual dropout (masks);
//               MoE: the top_k experts' SwiGLU terms;
//     R = min(b T, loss_chunk_tokens()) rows of logits exist at once
//               (model/output_head.h's chunked head + cross-entropy), h = 12
//               (fp32 logits, their softmax and their gradient), + 2 under bf16
//               (the head matmul's bf16 output)
//   runtime      DeviceSpec::runtime_bytes
//   checkpointing (model.activation_checkpointing: blocks) keeps s C per
//   checkpointed block and recomputes one block at a time: L s C + a_layer.
// Not counted, because they live only outside backward, when the activations
// are gone: the optimizer step's temporaries (ZeRO weight all-gather, one
// or two buckets) and a checkpoint's state gather (one bucket on the device;
// the state goes to CPU memory).
// Validated against measured peak memory on CPU by scripts/bench_memory.sh
// (docs/plan.md gives the errors and the arithmetic for configs/paper/model_8b).
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
DeviceSpec device_spec(const std::string& name, Precision precision);

struct MemoryPlan {
  double weights = 0, weight_copies = 0, gradients = 0, grad_buffers = 0, optimizer = 0;
  double activations = 0;
  double runtime = 0;  // what the framework holds besides (see DeviceSpec)
  double total() const {
    return weights + weight_copies + gradients + grad_buffers + optimizer + activations + runtime;
  }
};

// The two knobs the trainer and the memory model share, read in one place:
// train.loss_chunk_tokens (LM head + cross-entropy rows per chunk, 0 = one
// chunk) and dist.grad_dtype (bf16: bf16 gradient buckets).
int64_t loss_chunk_tokens(const Config& cfg);
bool bf16_grad_buckets(const Config& cfg);

// Parameter counts the memory model needs besides ModelSize.
struct ParamShapes {
  double matmul = 0;   // P_mm: elements autocast casts to bf16 (linear weights and biases)
  double largest = 0;  // the largest single parameter, elements
};
ParamShapes param_shapes(const ModelConfig& m, int64_t vocab);

// One shard mode's parts at W ranks (W = 1: no gradient-sync buffers, and the
// trainer ignores dist.shard). shard: 0 none, 1 optimizer, 2 gradients.
MemoryPlan state_memory(const Config& cfg, int64_t vocab, int64_t world, int shard, bool bf16);

struct Plan {
  ModelSize size;
  double flops_per_token = 0;      // 6 N_matmul + 12 L C T (model_size.h); bd3: 2 x that at 2T
  bool bd3 = false;                // objective.kind bd3 (2T positions per row)
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
               double mfu, ShardMode shard = ShardMode::none);

// Activation bytes one rank keeps for backward for `micro` rows (model above).
// Mixed precision: `bf16`.
double activation_bytes(const Config& cfg, int64_t vocab, int64_t micro, bool bf16, bool ckpt);

// A human-readable report (several lines) and one CSV-ish summary line.
std::string plan_report(const Plan& p, const std::string& title);
std::string plan_row(const Plan& p, const std::string& name);
std::string plan_json(const Plan& p);  // every number above, bytes and seconds

}  // namespace crossover
