// rope.h — rotary position embedding (RoPE), "rotate-half" (GPT-NeoX / Llama)
// layout: the head dim D is split into halves (x1, x2) and pair i = (x1[i],
// x2[i]) is rotated by angle pos · theta^(-2i/D).
//
// The cos/sin tables are computed in float64 and cast straight to the
// activations' dtype and device on first use (cached). They are deliberately
// not registered buffers: module.to(kBFloat16) must not round the float64
// angles, and checkpoints need not carry derived tables.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace crossover {

struct RoPEOptions {
  RoPEOptions(int64_t head_dim, int64_t max_seq_len)
      : head_dim_(head_dim), max_seq_len_(max_seq_len) {}
  TORCH_ARG(int64_t, head_dim);       // D, even
  TORCH_ARG(int64_t, max_seq_len);    // rows of the tables
  TORCH_ARG(double, theta) = 10000.0; // model.rope_theta
};

class RoPEImpl : public torch::nn::Module {
 public:
  explicit RoPEImpl(const RoPEOptions& options);
  void reset();
  // x: (B, T, H, D) -> (B, T, H, D), position of row t is offset + t (offset > 0
  // when decoding incrementally after `offset` cached positions).
  torch::Tensor forward(const torch::Tensor& x, int64_t offset = 0);

  RoPEOptions options;
  torch::Tensor cos;  // (max_seq_len, D/2) float64, CPU
  torch::Tensor sin;  // (max_seq_len, D/2) float64, CPU

 private:
  torch::Tensor cos_cached_, sin_cached_;  // cos/sin in the last input's dtype and device
};
TORCH_MODULE(RoPE);

}  // namespace crossover
