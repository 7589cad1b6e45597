// output_head.cpp — hidden states and the output head, the two halves of forward().
#include "crossover/model/output_head.h"

#include <torch/torch.h>

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
  for (const auto& b : *model.blocks) x = b->as<BlockImpl>()->forward(x, causal, &a);
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
