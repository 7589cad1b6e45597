// transformer.cpp — the language model, its init, and its size/FLOP accounting.
#include "crossover/model/transformer.h"

#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include <cmath>

#include "crossover/model/output_head.h"
#include "crossover/model/swiglu.h"
#include "crossover/util/check.h"
#include "crossover/util/strings.h"

namespace crossover {

TransformerOptions transformer_options_from_config(const ModelConfig& cfg, int64_t vocab_size) {
  int64_t V = cfg.vocab_size == 0 ? vocab_size : cfg.vocab_size;
  CROSSOVER_CHECK(V > 0, "vocabulary size unknown (model.vocab_size=auto and the tokenizer gave ",
                  vocab_size, "); hint: set model.vocab_size or prepare the dataset first");
  CROSSOVER_CHECK(V >= vocab_size, "model.vocab_size=", V, " is smaller than the tokenizer's ",
                  vocab_size, "; hint: use model.vocab_size=auto");
  return TransformerOptions(V, cfg.d_model)
      .n_layers(cfg.n_layers)
      .n_heads(cfg.n_heads)
      .n_kv_heads(cfg.n_kv_heads)
      .d_ff(swiglu_hidden_dim(cfg.d_model, cfg.d_ff))
      .max_seq_len(cfg.max_seq_len)
      .rope_theta(cfg.rope_theta)
      .norm_eps(cfg.norm_eps)
      .qk_norm(cfg.qk_norm)
      .bias(cfg.bias)
      .tie_embeddings(cfg.tie_embeddings)
      .init_std(cfg.init_std)
      .dropout_embed(cfg.dropout_embed)
      .dropout_attn(cfg.dropout_attn)
      .dropout_resid(cfg.dropout_resid)
      .moe_experts(cfg.moe_experts)
      .moe_top_k(cfg.moe_top_k)
      .moe_aux_coef(cfg.moe_aux_coef)
      .moe_z_coef(cfg.moe_z_coef)
      .checkpoint_every(cfg.activation_checkpointing == "blocks" ? cfg.checkpoint_every : 0);
}

TransformerImpl::TransformerImpl(const TransformerOptions& options) : options(options) {
  this->options.d_ff(swiglu_hidden_dim(options.d_model(), options.d_ff()));
  reset();
}

void TransformerImpl::reset() {
  const auto& o = options;
  int64_t V = o.vocab_size(), C = o.d_model();
  tok_emb = register_module("tok_emb", torch::nn::Embedding(V, C));
  emb_dropout = register_module("emb_dropout", torch::nn::Dropout(o.dropout_embed()));
  auto attn = AttentionOptions(C, o.n_heads())
                  .n_kv_heads(o.n_kv_heads())
                  .max_seq_len(o.max_seq_len())
                  .rope_theta(o.rope_theta())
                  .norm_eps(o.norm_eps())
                  .qk_norm(o.qk_norm())
                  .bias(o.bias())
                  .dropout(o.dropout_attn());
  auto block = BlockOptions(attn, o.d_ff())
                   .dropout_resid(o.dropout_resid())
                   .moe_experts(o.moe_experts())
                   .moe_top_k(o.moe_top_k())
                   .moe_aux_coef(o.moe_aux_coef())
                   .moe_z_coef(o.moe_z_coef());
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.n_layers(); ++i) blocks->push_back(Block(block));
  norm = register_module("norm", RMSNorm(RMSNormOptions(C).eps(o.norm_eps())));
  if (!o.tie_embeddings())
    head = register_module("head", torch::nn::Linear(torch::nn::LinearOptions(C, V).bias(false)));
  reset_parameters();
}

void TransformerImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  double std = options.init_std();
  double out_std = std / std::sqrt(2.0 * static_cast<double>(options.n_layers()));
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    auto& p = item.value();
    if (str_ends_with(name, "norm.weight")) {
      p.fill_(1.0);
    } else if (str_ends_with(name, ".bias")) {
      p.zero_();
    } else if (str_ends_with(name, "attn.wo.weight") || str_ends_with(name, "down.weight")) {
      p.normal_(0.0, out_std);
    } else {
      p.normal_(0.0, std);
    }
  }
}

ModelOutput TransformerImpl::forward(const torch::Tensor& tokens, const AttentionLayout& layout) {
  torch::Tensor aux;
  auto logits = transformer_head(*this, transformer_hidden(*this, tokens, layout, &aux));  // (B, T, V)
  return {logits, aux};
}

torch::Tensor TransformerImpl::forward_cached(const torch::Tensor& tokens, KVCache* cache,
                                              const CacheStep& step) {
  CROSSOVER_CHECK(tokens.dim() == 2 && tokens.scalar_type() == torch::kInt64,
                  "model input must be (B, T) int64 tokens, got ", tokens.sizes());
  if (cache->layers.empty()) cache->layers.resize(blocks->size());
  CROSSOVER_CHECK(cache->layers.size() == blocks->size(), "KV cache has ", cache->layers.size(),
                  " layers, the model ", blocks->size());
  auto x = tok_emb(tokens);  // (B, T_new, C)
  for (size_t i = 0; i < blocks->size(); ++i)
    x = blocks[i]->as<BlockImpl>()->forward_cached(x, &cache->layers[i], step);
  x = norm(x);                // (B, T_new, C)
  return transformer_head(*this, x);  // (B, T_new, V)
}

int64_t TransformerImpl::param_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

int64_t TransformerImpl::active_param_count() const {
  int64_t n = param_count();
  for (const auto& b : *blocks) {
    const auto* block = b->as<BlockImpl>();
    if (!block->moe) continue;
    const auto& mo = block->moe->options;
    n -= (mo.n_experts() - mo.top_k()) * block->moe->expert_param_count();
  }
  return n;
}

double TransformerImpl::flops_per_token(int64_t seq_len) const {
  double V = static_cast<double>(options.vocab_size()), C = static_cast<double>(options.d_model());
  double n_matmul = static_cast<double>(active_param_count()) - V * C;  // minus the lookup table
  if (!options.tie_embeddings()) n_matmul -= V * C;                       // head counted below
  n_matmul += V * C;                                                      // output-head matmul
  double attn = 12.0 * static_cast<double>(options.n_layers()) * C * static_cast<double>(seq_len);
  return 6.0 * n_matmul + attn;
}

bool is_no_decay_param(const std::string& name) {
  return str_ends_with(name, "norm.weight") || str_ends_with(name, ".bias") ||
         is_embedding_param(name);
}

bool is_embedding_param(const std::string& name) { return name == "tok_emb.weight"; }

nlohmann::json transformer_options_json(const TransformerOptions& o) {
  return {{"vocab_size", o.vocab_size()},     {"d_model", o.d_model()},
          {"n_layers", o.n_layers()},         {"n_heads", o.n_heads()},
          {"n_kv_heads", o.n_kv_heads()},     {"d_ff", o.d_ff()},
          {"max_seq_len", o.max_seq_len()},   {"rope_theta", o.rope_theta()},
          {"norm_eps", o.norm_eps()},         {"qk_norm", o.qk_norm()},
          {"bias", o.bias()},                 {"tie_embeddings", o.tie_embeddings()},
          {"moe_experts", o.moe_experts()},   {"moe_top_k", o.moe_top_k()},
          {"moe_aux_coef", o.moe_aux_coef()}, {"moe_z_coef", o.moe_z_coef()}};
}

}  // namespace crossover
