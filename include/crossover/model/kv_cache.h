// kv_cache.h — the keys and values of positions already decoded, so causal
// (AR) generation feeds each new token once instead of recomputing the whole
// prefix: O(T) attention work per new token instead of O(T²).
//
// AR and block diffusion (bd3) can use it: a position's keys depend only on
// positions before it (AR) or in blocks up to its own (bd3's block-causal
// attention), so once a block is final its keys never change. The bd3 sampler
// scores its current block against the cache (CacheStep{causal=false,
// append=false}) at each denoising step and appends the block once it is
// final. With full bidirectional attention (mdm) every key changes whenever
// any token does, so the MDM sampler recomputes the whole row each step
// (eval/generate.h).
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

// How a cached forward treats its new tokens.
struct CacheStep {
  bool causal = true;  // new token i sees new tokens <= i (AR); false: all new tokens (a bd3 block)
  bool append = true;  // keep their keys/values; false: score only (a bd3 denoising step)
};

struct KVCache {
  std::vector<AttentionCache> layers;  // one per Transformer block
  int64_t length() const { return layers.empty() ? 0 : layers[0].length(); }
};

}  // namespace crossover
