// transformer.h — the language model shared by every objective: token
// embedding -> dropout -> n_layers pre-norm blocks -> final RMSNorm -> output
// head (untied Linear, or the embedding matrix when tied).
//
// The model knows nothing about AR vs masked diffusion: forward() takes a
// `causal` flag and that is all (objective/ decides it). There is no time
// input for diffusion (as in the paper).
//
// Parameter names (stable; checkpoints and the PyTorch reference use them):
//   tok_emb.weight                         (V, C)
//   blocks.{i}.attn_norm.weight            (C)
//   blocks.{i}.attn.wqkv.weight            ((H + 2·Hkv)·D, C)  rows [q | k | v]
//   blocks.{i}.attn.q_norm.weight, k_norm  (D)                 only with qk_norm
//   blocks.{i}.attn.wo.weight              (C, H·D)
//   blocks.{i}.ffn_norm.weight             (C)
//   blocks.{i}.ffn.gate_up.weight          (2F, C)             rows [gate | up]
//   blocks.{i}.ffn.down.weight             (C, F)
//   blocks.{i}.moe.router.weight           (E, C)              MoE blocks instead of ffn
//   blocks.{i}.moe.experts.{e}.gate_up / down
//   norm.weight                            (C)
//   head.weight                            (V, C)              only when untied
// plus `.bias` siblings of every Linear when model.bias. There are no buffers
// (RoPE tables are derived from the options, see rope.h).
//
// Naming convention for weight decay: every RMSNorm parameter ends in
// "norm.weight", every bias in ".bias", the embedding is "tok_emb.weight";
// is_no_decay_param() encodes it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>

#include "crossover/config/config.h"
#include "crossover/model/attention_layout.h"
#include "crossover/model/block.h"
#include "crossover/model/kv_cache.h"
#include "crossover/model/rms_norm.h"

namespace crossover {

struct TransformerOptions {
  TransformerOptions(int64_t vocab_size, int64_t d_model)
      : vocab_size_(vocab_size), d_model_(d_model) {}
  TORCH_ARG(int64_t, vocab_size);        // V
  TORCH_ARG(int64_t, d_model);           // C
  TORCH_ARG(int64_t, n_layers) = 4;
  TORCH_ARG(int64_t, n_heads) = 4;       // H
  TORCH_ARG(int64_t, n_kv_heads) = 0;    // 0 = n_heads
  TORCH_ARG(int64_t, d_ff) = 0;          // 0 = swiglu_hidden_dim(d_model, 0)
  TORCH_ARG(int64_t, max_seq_len) = 256;
  TORCH_ARG(double, rope_theta) = 10000.0;
  TORCH_ARG(double, norm_eps) = 1e-6;
  TORCH_ARG(bool, qk_norm) = true;
  TORCH_ARG(bool, bias) = false;
  TORCH_ARG(bool, tie_embeddings) = false;
  TORCH_ARG(double, init_std) = 0.02;
  TORCH_ARG(double, dropout_embed) = 0.0;
  TORCH_ARG(double, dropout_attn) = 0.0;
  TORCH_ARG(double, dropout_resid) = 0.0;
  TORCH_ARG(int64_t, moe_experts) = 0;   // 0 = dense
  TORCH_ARG(int64_t, moe_top_k) = 1;
  TORCH_ARG(double, moe_aux_coef) = 0.01;
  TORCH_ARG(double, moe_z_coef) = 0.001;
  // Activation checkpointing: recompute every k-th block in backward
  // (activation_checkpoint.h); 0 = off, 1 = every block.
  TORCH_ARG(int64_t, checkpoint_every) = 0;
};

// The `model:` section with the tokenizer's vocabulary size (used when
// model.vocab_size is 0 / auto; a non-zero model.vocab_size must be >= it).
TransformerOptions transformer_options_from_config(const ModelConfig& cfg, int64_t vocab_size);

struct ModelOutput {
  torch::Tensor logits;    // (B, T, V) float32 (float64 for a float64 model)
  torch::Tensor aux_loss;  // scalar: summed MoE auxiliary losses (already × coefs); 0 for dense
};

class TransformerImpl : public torch::nn::Module {
 public:
  explicit TransformerImpl(const TransformerOptions& options);
  void reset();
  // Normal(0, init_std) for matrices and the embedding, init_std/sqrt(2·n_layers)
  // for residual output projections (attn.wo, ffn/expert down), ones for norms,
  // zeros for biases. Draws from torch's global generator.
  void reset_parameters();

  // tokens: (B, T) int64, T <= max_seq_len.
  // tokens (B, L) int64; layout: attention_layout.h (a bool converts: true
  // causal, false full).
  ModelOutput forward(const torch::Tensor& tokens, const AttentionLayout& layout);
  // Incremental decoding: tokens (B, T_new) are the positions after the
  // cache's T_past (an empty cache: a prefill). Returns their logits
  // (B, T_new, V) and, with step.append, appends their keys/values to *cache
  // (kv_cache.h). Inference only. The default step (causal) equals the last
  // T_new rows of forward(all tokens, causal); step.causal = false on a block
  // of at most b tokens that starts at a multiple of b, after a cache of whole
  // blocks, equals those rows of forward(all tokens, block_causal(b)).
  torch::Tensor forward_cached(const torch::Tensor& tokens, KVCache* cache,
                               const CacheStep& step = {});

  // Every parameter (the tied embedding once).
  int64_t param_count() const;
  // Parameters one token passes through: MoE layers count top_k experts (plus
  // the router) instead of all E. A dense model: == param_count().
  int64_t active_param_count() const;
  // Training FLOPs (forward + backward) per token at sequence length T:
  //   6 · (N_active − N_embedding_lookup + V·C)  +  12 · n_layers · d_model · T
  // where N_active − N_embedding_lookup is every active parameter except the
  // input embedding table (norm weights included, negligible), V·C is the
  // output-head matmul (counted whether or not it is tied), and the second term
  // is QKᵀ and attention·V (2·2·T·C per layer forward, ×3 with backward),
  // counted in full for causal attention too (the usual convention).
  double flops_per_token(int64_t seq_len) const;

  TransformerOptions options;
  torch::nn::Embedding tok_emb{nullptr};  // (V, C)
  torch::nn::Dropout emb_dropout{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  RMSNorm norm{nullptr};
  torch::nn::Linear head{nullptr};        // C -> V; null when tie_embeddings
};
TORCH_MODULE(Transformer);

// True for parameters that AdamW must not decay: RMSNorm weights, biases and
// the token embedding (the trainer adds the embedding back when
// train.decay_embeddings). Uses the naming convention above.
bool is_no_decay_param(const std::string& name);
// True for the token embedding table (also the head when tied).
bool is_embedding_param(const std::string& name);

// The options as JSON (benchmarks hand them to the PyTorch reference model).
nlohmann::json transformer_options_json(const TransformerOptions& o);

}  // namespace crossover
