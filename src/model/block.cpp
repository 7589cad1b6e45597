// block.cpp — pre-norm residual block.
#include "crossover/model/block.h"

#include <torch/torch.h>

namespace crossover {

BlockImpl::BlockImpl(const BlockOptions& options) : options(options) { reset(); }

void BlockImpl::reset() {
  const auto& a = options.attn();
  int64_t C = a.d_model();
  attn_norm = register_module("attn_norm", RMSNorm(RMSNormOptions(C).eps(a.norm_eps())));
  attn = register_module("attn", Attention(a));
  ffn_norm = register_module("ffn_norm", RMSNorm(RMSNormOptions(C).eps(a.norm_eps())));
  if (options.moe_experts() > 0) {
    moe = register_module("moe", MoE(MoEOptions(C, options.d_ff(), options.moe_experts())
                                         .top_k(options.moe_top_k())
                                         .aux_coef(options.moe_aux_coef())
                                         .z_coef(options.moe_z_coef())
                                         .bias(a.bias())));
  } else {
    ffn = register_module("ffn", SwiGLU(SwiGLUOptions(C, options.d_ff()).bias(a.bias())));
  }
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout_resid()));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x, const AttentionLayout& layout,
                                 torch::Tensor* aux) {
  bool drop = options.dropout_resid() > 0 && is_training();
  auto h = attn(attn_norm(x), layout);  // (B, T, C)
  auto y = x + (drop ? dropout(h) : h);
  torch::Tensor f;
  if (moe) {
    auto m = moe(ffn_norm(y));
    f = m.out;
    *aux = aux->defined() ? *aux + m.aux_loss : m.aux_loss;
  } else {
    f = ffn(ffn_norm(y));
  }
  return y + (drop ? dropout(f) : f);   // (B, T, C)
}

torch::Tensor BlockImpl::forward_cached(const torch::Tensor& x, AttentionCache* cache,
                                       const CacheStep& step) {
  auto y = x + attn->forward_cached(attn_norm(x), cache, step);  // (B, T, C)
  auto f = moe ? moe(ffn_norm(y)).out : ffn(ffn_norm(y));
  return y + f;                                            // (B, T, C)
}

}  // namespace crossover
