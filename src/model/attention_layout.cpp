// attention_layout.cpp — the boolean masks of the block layouts, built once per shape and cached.
#include "crossover/model/attention_layout.h"

#include <torch/torch.h>

#include <map>
#include <mutex>
#include <tuple>

#include "crossover/util/check.h"
#include "crossover/util/strings.h"

namespace crossover {

std::string AttentionLayout::name() const {
  switch (kind) {
    case AttentionLayoutKind::causal: return "causal";
    case AttentionLayoutKind::full: return "full";
    case AttentionLayoutKind::block_causal: return str_cat("block_causal(", block_size, ")");
    case AttentionLayoutKind::bd3_train: return str_cat("bd3_train(", block_size, ")");
  }
  return "?";
}

namespace {

// (L, L) bool on the CPU, true where query i may attend key j.
torch::Tensor build_mask(const AttentionLayout& layout, int64_t L) {
  const int64_t b = layout.block_size;
  auto idx = torch::arange(L, torch::kLong);
  if (layout.kind == AttentionLayoutKind::block_causal) {
    CROSSOVER_CHECK(b >= 1, "block_causal attention needs a block size >= 1, got ", b);
    auto blk = idx.div(b, "floor");                     // (L)
    return blk.unsqueeze(0) <= blk.unsqueeze(1);        // key block <= query block
  }
  CROSSOVER_CHECK(layout.kind == AttentionLayoutKind::bd3_train, "no mask for ", layout.name());
  CROSSOVER_CHECK(b >= 1 && L % 2 == 0, "bd3_train attention needs an even row (x_t | x_0) and a ",
                  "block size >= 1, got ", L, " positions and block ", b);
  const int64_t T = L / 2;
  auto clean = idx >= T;                                // (L) the x_0 half
  auto blk = (idx - clean.to(torch::kLong) * T).div(b, "floor");  // block within its half
  auto qc = clean.unsqueeze(1), kc = clean.unsqueeze(0);
  auto qb = blk.unsqueeze(1), kb = blk.unsqueeze(0);
  auto noisy_to_noisy = ~qc & ~kc & (qb == kb);         // its own noisy block
  auto noisy_to_clean = ~qc & kc & (kb < qb);           // clean blocks before it
  auto clean_to_clean = qc & kc & (kb <= qb);           // block-causal clean half
  return noisy_to_noisy | noisy_to_clean | clean_to_clean;  // (L, L)
}

}  // namespace

torch::Tensor attention_mask(const AttentionLayout& layout, int64_t L, torch::Device device) {
  if (!layout.needs_mask()) return {};
  using Key = std::tuple<int, int64_t, int64_t, std::string>;
  static std::mutex mu;
  static std::map<Key, torch::Tensor> cache;
  const Key key{static_cast<int>(layout.kind), layout.block_size, L, device.str()};
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  auto m = build_mask(layout, L).to(device);
  if (cache.size() > 64) cache.clear();  // sequence lengths vary only with short_seq_prob
  cache.emplace(key, m);
  return m;
}

}  // namespace crossover
