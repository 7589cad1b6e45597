// block.h — one pre-norm Transformer block:
//   x = x + dropout(attn(attn_norm(x), causal))
//   x = x + dropout(ffn(ffn_norm(x)))          (ffn: SwiGLU, or MoE when moe_experts > 0)
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "crossover/model/attention.h"
#include "crossover/model/moe.h"
#include "crossover/model/rms_norm.h"
#include "crossover/model/swiglu.h"

namespace crossover {

struct BlockOptions {
  BlockOptions(const AttentionOptions& attn, int64_t d_ff) : attn_(attn), d_ff_(d_ff) {}
  TORCH_ARG(AttentionOptions, attn);
  TORCH_ARG(int64_t, d_ff);              // resolved SwiGLU width (per expert for MoE)
  TORCH_ARG(double, dropout_resid) = 0.0;
  TORCH_ARG(int64_t, moe_experts) = 0;   // 0 = dense SwiGLU
  TORCH_ARG(int64_t, moe_top_k) = 1;
  TORCH_ARG(double, moe_aux_coef) = 0.01;
  TORCH_ARG(double, moe_z_coef) = 0.001;
};

class BlockImpl : public torch::nn::Module {
 public:
  explicit BlockImpl(const BlockOptions& options);
  void reset();
  // x: (B, T, C) -> (B, T, C); adds this block's MoE auxiliary loss to *aux.
  torch::Tensor forward(const torch::Tensor& x, const AttentionLayout& layout, torch::Tensor* aux);
  // Incremental decoding through attn.forward_cached (inference only: no
  // dropout, MoE auxiliary loss dropped). x: (B, T_new, C) -> (B, T_new, C)
  torch::Tensor forward_cached(const torch::Tensor& x, AttentionCache* cache,
                               const CacheStep& step = {});

  BlockOptions options;
  RMSNorm attn_norm{nullptr};
  Attention attn{nullptr};
  RMSNorm ffn_norm{nullptr};
  SwiGLU ffn{nullptr};  // dense blocks
  MoE moe{nullptr};     // MoE blocks
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(Block);

}  // namespace crossover
