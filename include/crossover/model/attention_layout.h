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
//                 Noisy position i thus sees exactly what position i of a
//                 block_causal row sees, with its own block noisy.
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

  AttentionLayout() = default;
  AttentionLayout(AttentionLayoutKind k, int64_t b) : kind(k), block_size(b) {}
  // The pre-layout flag, implicitly: true = causal, false = full (so
  // model(tokens, /*causal=*/true) keeps its meaning).
  AttentionLayout(bool causal)  // NOLINT(google-explicit-constructor)
      : kind(causal ? AttentionLayoutKind::causal : AttentionLayoutKind::full) {}

  static AttentionLayout causal() { return {}; }
  static AttentionLayout full() { return {AttentionLayoutKind::full, 0}; }
  static AttentionLayout block_causal(int64_t b) { return {AttentionLayoutKind::block_causal, b}; }
  static AttentionLayout bd3_train(int64_t b) { return {AttentionLayoutKind::bd3_train, b}; }

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
// Undefined tensor for causal and full (they need none). Blocks start at
// position 0 of a row (of each half for bd3_train); the last may be shorter.
// Throws for bd3_train with an odd L.
torch::Tensor attention_mask(const AttentionLayout& layout, int64_t L, torch::Device device);

// RoPE positions: 0..L-1, except bd3_train, whose two halves both take 0..T-1
// (attention.cpp rotates each half from position 0).

}  // namespace crossover
