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

// What one rank keeps between steps, in bytes.
struct OptimizerBytes {
  int64_t weights = 0;
  int64_t grads = 0;   // .grad plus gradient-sync buffers
  int64_t state = 0;   // AdamW moments
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Scales the (global, summed over ranks) gradients so their L2 norm is at
  // most max_norm (inf: no clipping); returns the norm before clipping.
  virtual double clip_grad_norm(double max_norm) = 0;
  virtual void step(double lr) = 0;
  virtual void zero_grad() = 0;
  virtual int64_t steps() const = 0;
  // The full state by name. Sharded: a collective that every rank must call
  // in the same order; rank 0 gets the full state, other ranks an empty list.
  virtual std::vector<std::pair<std::string, torch::Tensor>> state_tensors() = 0;
  // Full state (as state_tensors() writes it); a sharded optimizer keeps its slice.
  virtual void load_state(const std::map<std::string, torch::Tensor>& tensors,
                          int64_t steps) = 0;
  virtual OptimizerBytes held_bytes() const = 0;
};

}  // namespace crossover
