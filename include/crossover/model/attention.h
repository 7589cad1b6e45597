// attention.h — multi-head self-attention with optional grouped-query
// attention (n_kv_heads < n_heads), optional QK-norm (RMSNorm over the head
// dim of each query and key head) and RoPE.
//
// The only thing the model knows about the objective is the attention layout
// passed to forward() (attention_layout.h): causal for AR, full for masked
// diffusion, block layouts for block diffusion.
// The kernel is at::scaled_dot_product_attention; attention-probability
// dropout is SDPA's dropout_p, applied only in training mode.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "crossover/model/attention_layout.h"
#include "crossover/model/kv_cache.h"
#include "crossover/model/rms_norm.h"
#include "crossover/model/rope.h"

namespace crossover {

struct AttentionOptions {
  AttentionOptions(int64_t d_model, int64_t n_heads) : d_model_(d_model), n_heads_(n_heads) {}
  TORCH_ARG(int64_t, d_model);          // C
  TORCH_ARG(int64_t, n_heads);          // H; head dim D = C / H
  TORCH_ARG(int64_t, n_kv_heads) = 0;   // key/value heads; 0 = n_heads
  TORCH_ARG(int64_t, max_seq_len) = 256;
  TORCH_ARG(double, rope_theta) = 10000.0;
  TORCH_ARG(double, norm_eps) = 1e-6;
  TORCH_ARG(bool, qk_norm) = true;
  TORCH_ARG(bool, bias) = false;
  TORCH_ARG(double, dropout) = 0.0;     // on attention probabilities (training only)
};

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions& options);
  void reset();
  // x: (B, L, C) -> (B, L, C)
  torch::Tensor forward(const torch::Tensor& x, const AttentionLayout& layout);
  // Incremental decoding: x (B, T_new, C) holds the positions after the
  // cache's T_past; they attend to the cached keys/values and, as step says,
  // causally among themselves (AR) or all to all (a bd3 block). With
  // step.append their keys/values join *cache. -> (B, T_new, C)
  torch::Tensor forward_cached(const torch::Tensor& x, AttentionCache* cache,
                               const CacheStep& step = {});

  int64_t head_dim() const { return options.d_model() / options.n_heads(); }
  int64_t kv_heads() const;

  AttentionOptions options;
  torch::nn::Linear wqkv{nullptr};  // C -> (H + 2·Hkv)·D, rows: [q heads | k heads | v heads]
  torch::nn::Linear wo{nullptr};    // H·D -> C (residual output projection)
  RMSNorm q_norm{nullptr};          // over D, shared by all heads (only with qk_norm)
  RMSNorm k_norm{nullptr};
  RoPE rope{nullptr};

 private:
  // halves = 2: the row is two sequences side by side (bd3_train), each
  // rotated from position offset.
  void project(const torch::Tensor& x, int64_t offset, torch::Tensor* q, torch::Tensor* k,
               torch::Tensor* v, int64_t halves = 1);
};
TORCH_MODULE(Attention);

}  // namespace crossover
