// kv_cache.h — the keys and values of positions already decoded, so causal
// (AR) generation feeds each new token once instead of recomputing the whole
// prefix: O(T) attention work per new token instead of O(T²).
//
// Only causal attention can use it: with bidirectional attention (masked
// diffusion) every position's keys change whenever any token changes, so the
// MDM sampler recomputes the full sequence each step (eval/generate.h).
// Keys are stored after QK-norm and RoPE, before grouped-query expansion.
// The cache grows by concatenation; at crossover's model sizes that copy is
// negligible next to the matmuls, and it keeps the code obvious.
#pragma once

#include <torch/types.h>

#include <vector>

namespace crossover {

struct AttentionCache {
  torch::Tensor k;  // (B, Hkv, T_past, D); undefined while empty
  torch::Tensor v;  // (B, Hkv, T_past, D)
  int64_t length() const { return k.defined() ? k.size(2) : 0; }
};

struct KVCache {
  std::vector<AttentionCache> layers;  // one per Transformer block
  int64_t length() const { return layers.empty() ? 0 : layers[0].length(); }
};

}  // namespace crossover
