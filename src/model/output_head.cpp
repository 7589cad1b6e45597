// output_head.cpp — hidden states and the output head, the two halves of forward().
#include "crossover/model/output_head.h"

#include <torch/torch.h>

#include "crossover/model/activation_checkpoint.h"
#include "crossover/util/check.h"

namespace crossover {

torch::Tensor transformer_hidden(TransformerImpl& model, const torch::Tensor& tokens, bool causal,
                                 torch::Tensor* aux) {
  CROSSOVER_CHECK(tokens.dim() == 2 && tokens.scalar_type() == torch::kInt64,
                  "model input must be (B, T) int64 tokens, got ", tokens.sizes(), " ",
                  tokens.scalar_type());
  auto x = model.tok_emb(tokens);  // (B, T, C)
  if (model.options.dropout_embed() > 0 && model.is_training()) x = model.emb_dropout(x);
  torch::Tensor a;
  const int64_t every = model.is_training() ? model.options.checkpoint_every() : 0;
  for (size_t i = 0; i < model.blocks->size(); ++i) {
    auto* block = model.blocks[i]->as<BlockImpl>();
    if (every > 0 && static_cast<int64_t>(i) % every == 0) {  // activation_checkpoint.h
      auto [out, block_aux] = checkpoint_block(*block, x, causal);  // (B, T, C), scalar
      x = out;
      if (block->moe) a = a.defined() ? a + block_aux : block_aux;
    } else {
      x = block->forward(x, causal, &a);  // (B, T, C)
    }
  }
  x = model.norm(x);  // (B, T, C)
  if (aux) {
    auto dtype = x.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    *aux = a.defined() ? a : torch::zeros({}, x.options().dtype(dtype));
  }
  return x;
}

torch::Tensor transformer_head(TransformerImpl& model, const torch::Tensor& hidden) {
  auto logits = model.head ? model.head(hidden)
                           : torch::nn::functional::linear(hidden, model.tok_emb->weight);  // (..., V)
  if (logits.scalar_type() == torch::kBFloat16 || logits.scalar_type() == torch::kFloat16)
    logits = logits.to(torch::kFloat32);
  return logits;
}

}  // namespace crossover
