// output_head.h — the Transformer's forward pass split at the output head.
//
// TransformerImpl::forward() is transformer_head(transformer_hidden(x)). Callers
// that need logits at a few positions only — masked diffusion supervises and
// scores the masked positions, about half of a training row and a few answer
// tokens of a scoring row — take the hidden states, select those rows and run
// the V-wide head (and the softmax after it) on them alone. The result equals
// the full head's logits at the same positions (tests/model/output_head_test).
#pragma once

#include <torch/types.h>

#include "crossover/model/transformer.h"

namespace crossover {

// The final-norm hidden states (B, T, C) for tokens (B, T) int64; *aux (when
// given) receives the summed MoE auxiliary losses (a zero scalar when dense).
// layout: attention_layout.h (a bool converts: true causal, false full).
torch::Tensor transformer_hidden(TransformerImpl& model, const torch::Tensor& tokens,
                                 const AttentionLayout& layout, torch::Tensor* aux = nullptr);

// The output head on hidden states (..., C) -> logits (..., V): float32 under
// reduced precision (bf16 autocast), float64 for a float64 model.
torch::Tensor transformer_head(TransformerImpl& model, const torch::Tensor& hidden);

// Σ_i weights_i · CE(head(hidden_i), targets_i) over N rows, computed
// chunk_rows rows at a time by one autograd function that saves only its
// inputs and recomputes each chunk's logits in backward (a chunked linear +
// cross-entropy): at most one chunk's (chunk_rows, V) logits, their softmax
// and gradient are alive at once, instead of (N, V) of each. hidden (N, C),
// targets (N) int64, weights (N) float; returns a () float32 (float64 for a
// float64 model). Under bf16 autocast the head's matmuls run in bf16 and the
// cross-entropy in fp32, as the unchunked path does; gradients flow to hidden
// and to the head weight (and bias). chunk_rows <= 0 or >= N: the unchunked
// path (transformer_head + cross_entropy), bit for bit.
torch::Tensor chunked_head_loss_sum(TransformerImpl& model, const torch::Tensor& hidden,
                                    const torch::Tensor& targets, const torch::Tensor& weights,
                                    int64_t chunk_rows);

}  // namespace crossover
