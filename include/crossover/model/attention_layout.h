// attention_layout.h — which positions a forward pass lets each position see.
// The model knows nothing else about the objective (objective/ picks the
// layout; the model only obeys it).
//
//   causal        i sees j <= i                       (AR)
//   full          i sees every j                      (mdm)
//   block_causal  i sees j when block(j) <= block(i), blocks of block_size
//                 tokens (bd3 sampling over clean blocks; block 1 = causal,
//                 block T = full)
//   bd3_train     BD3-LM's vectorised training input x_t ⊕ x_0 of 2T
//                 positions (T = half the row), RoPE position ids repeated
//                 (position i and T + i are both position i). With k = block
//                 index of a position within its half:
//                   noisy k sees noisy k (its own block, bidirectionally) and
//                   clean blocks < k;
//                   clean k sees clean blocks <= k (block-causal);
//                   clean never sees noisy.
//
// causal and full use SDPA's mask-free kernels; the other two pass a boolean
// mask (true = may attend) built once per (kind, T, block_size, device) and
// cached (attention_mask()).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace crossover {

enum class AttentionLayoutKind { causal, full, block_causal, bd3_train };

struct AttentionLayout {
  AttentionLayoutKind kind = AttentionLayoutKind::causal;
  int64_t block_size = 0;  // block_causal, bd3_train

  static AttentionLayout causal() { return {}; }
  static AttentionLayout full() { return {AttentionLayoutKind::full, 0}; }
  static AttentionLayout block_causal(int64_t b) { return {AttentionLayoutKind::block_causal, b}; }
  static AttentionLayout bd3_train(int64_t b) { return {AttentionLayoutKind::bd3_train, b}; }
  // The pre-layout flag: causal(true) / full(false).
  static AttentionLayout from_causal(bool causal) { return causal ? AttentionLayout::causal() : full(); }

  bool needs_mask() const {
    return kind == AttentionLayoutKind::block_causal || kind == AttentionLayoutKind::bd3_train;
  }
  bool operator==(const AttentionLayout& o) const {
    return kind == o.kind && block_size == o.block_size;
  }
  std::string name() const;  // "causal" | "full" | "block_causal(b)" | "bd3_train(b)"
};

// The (L, L) bool mask of `layout` for a row of L positions (bd3_train: L = 2T,
// even), true where query i may attend key j; cached per (layout, L, device).
// Undefined tensor for causal and full (they need none). Throws when L is not
// a multiple of the block size (2·block_size for bd3_train).
torch::Tensor attention_mask(const AttentionLayout& layout, int64_t L, torch::Device device);

// RoPE position of each of the L positions: arange(L), or for bd3_train
// arange(T) repeated twice. (L) int64 on `device`.
torch::Tensor layout_positions(const AttentionLayout& layout, int64_t L, torch::Device device);

}  // namespace crossover
