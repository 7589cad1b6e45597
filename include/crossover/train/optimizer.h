// optimizer.h — what training needs of an optimizer, whether its state is
// replicated on every rank (train/adamw.h) or sharded over ranks
// (train/sharded_adamw.h, dist.shard=optimizer|gradients).
//
// The state format is the same for both and independent of the world size:
// "exp_avg/<name>", "exp_avg_sq/<name>" in the parameter's shape, so a
// checkpoint written by any shard mode at any world size resumes in any other.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace crossover {

// What one rank holds, in bytes, named as train/plan.h names the parts.
struct OptimizerBytes {
  int64_t weights = 0;
  int64_t grads = 0;        // .grad (counted when defined)
  int64_t grad_buffers = 0; // gradient-sync buckets and shards (distributed/grad_sync.h)
  int64_t state = 0;        // AdamW moments
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Scales the (global, summed over ranks) gradients so their L2 norm is at
  // most max_norm (inf: no clipping); returns the norm before clipping as a
  // () tensor on the gradients' device. No host sync: the factor
  // min(1, max_norm / (norm + 1e-6)) is applied on the device, as
  // torch.nn.utils.clip_grad_norm_(foreach=True) does.
  virtual torch::Tensor clip_grad_norm_device(double max_norm) = 0;
  // The same, read on the host (one sync; for tests and tools).
  double clip_grad_norm(double max_norm) { return clip_grad_norm_device(max_norm).item<double>(); }
  virtual void step(double lr) = 0;
  // Releases .grad (set to none, as torch's zero_grad(set_to_none=True)):
  // between steps no gradient memory is held, and the next backward writes
  // .grad instead of adding into zeros.
  virtual void zero_grad() = 0;
  virtual int64_t steps() const = 0;
  // The full state by name. Sharded: a collective that every rank must call
  // in the same order; rank 0 gets the full state, other ranks an empty list.
  virtual std::vector<std::pair<std::string, torch::Tensor>> state_tensors() = 0;
  // Sharded: gathered one bucket at a time and cut into CPU tensors on rank 0,
  // so saving never holds more than one bucket's state extra on the device.
  // Full state (as state_tensors() writes it); a sharded optimizer keeps its slice.
  virtual void load_state(const std::map<std::string, torch::Tensor>& tensors,
                          int64_t steps) = 0;
  // The bytes held now (.grad as defined at this moment).
  virtual OptimizerBytes held_bytes() const = 0;
};

}  // namespace crossover
