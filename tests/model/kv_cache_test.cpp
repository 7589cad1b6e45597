// KV cache: incremental decoding (prefill in chunks, then one token at a time)
// reproduces the full causal forward's logits, for dense, grouped-query and
// MoE models; a block step (CacheStep{causal=false}) reproduces the
// block_causal(b) forward's rows of that block, scoring without appending
// leaves the cache as it was. The full forward is the outside reference: it is
// what the PyTorch parity test checks (and bd3's mask a hand-written one).
#include "crossover/model/kv_cache.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "crossover/model/transformer.h"

namespace crossover {
namespace {

void expect_cached_equals_full(const TransformerOptions& o, std::vector<int64_t> chunks) {
  torch::manual_seed(21);
  Transformer model(o);
  model->to(torch::kFloat64);
  model->eval();
  torch::NoGradGuard no_grad;
  int64_t T = 0;
  for (int64_t c : chunks) T += c;
  auto tokens = torch::randint(0, o.vocab_size(), {3, T}, torch::kInt64);
  auto full = model->forward(tokens, /*causal=*/true).logits;  // (3, T, V)
  KVCache cache;
  int64_t at = 0;
  for (int64_t c : chunks) {
    auto part = model->forward_cached(tokens.narrow(1, at, c), &cache);  // (3, c, V)
    EXPECT_TRUE(torch::allclose(part, full.narrow(1, at, c), 1e-10, 1e-9))
        << "chunk at " << at << " max diff "
        << (part - full.narrow(1, at, c)).abs().max().item<double>();
    at += c;
    EXPECT_EQ(cache.length(), at);
  }
}

TEST(KVCache, PrefillChunksAndSingleTokensMatchFullForward) {
  auto o = TransformerOptions(31, 16).n_layers(2).n_heads(4).max_seq_len(32).init_std(0.3);
  expect_cached_equals_full(o, {5, 1, 1, 3, 1, 4});
  expect_cached_equals_full(o.n_kv_heads(2), {1, 1, 6, 1});         // grouped-query attention
  expect_cached_equals_full(o.n_kv_heads(0).moe_experts(4).moe_top_k(2), {4, 1, 1});  // MoE
}

// bd3: blocks of b tokens committed one by one (the last may be short), each
// first scored without appending.
void expect_block_steps_equal_block_causal(const TransformerOptions& o, int64_t b, int64_t T) {
  torch::manual_seed(22);
  Transformer model(o);
  model->to(torch::kFloat64);
  model->eval();
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(0, o.vocab_size(), {2, T}, torch::kInt64);
  auto full = model->forward(tokens, AttentionLayout::block_causal(b)).logits;  // (2, T, V)
  KVCache cache;
  for (int64_t at = 0; at < T; at += b) {
    const int64_t L = std::min(b, T - at);
    auto blk = tokens.narrow(1, at, L);
    auto scored = model->forward_cached(blk, &cache, CacheStep{false, false});  // (2, L, V)
    EXPECT_EQ(cache.length(), at) << "a scoring step must not grow the cache";
    auto committed = model->forward_cached(blk, &cache, CacheStep{false, true});
    EXPECT_EQ(cache.length(), at + L);
    for (const auto& part : {scored, committed})
      EXPECT_TRUE(torch::allclose(part, full.narrow(1, at, L), 1e-10, 1e-9))
          << "block at " << at << " (b=" << b << ") max diff "
          << (part - full.narrow(1, at, L)).abs().max().item<double>();
  }
  // And the causal default is not what a block sees (the test can fail).
  if (b > 1) {
    KVCache c2;
    auto causal = model->forward_cached(tokens.narrow(1, 0, b), &c2);
    EXPECT_GT((causal - full.narrow(1, 0, b)).abs().max().item<double>(), 1e-6);
  }
}

TEST(KVCache, BlockStepsMatchTheBlockCausalForward) {
  auto o = TransformerOptions(31, 16).n_layers(2).n_heads(4).max_seq_len(32).init_std(0.3);
  expect_block_steps_equal_block_causal(o, 4, 18);                  // a short last block
  expect_block_steps_equal_block_causal(o, 1, 6);                   // b = 1: causal
  expect_block_steps_equal_block_causal(o.n_kv_heads(2), 8, 24);    // grouped-query attention
}

TEST(KVCache, RefusesPositionsBeyondMaxSeqLen) {
  Transformer model(TransformerOptions(11, 8).n_layers(1).n_heads(2).max_seq_len(4));
  torch::NoGradGuard no_grad;
  KVCache cache;
  model->forward_cached(torch::zeros({1, 4}, torch::kInt64), &cache);
  EXPECT_THROW(model->forward_cached(torch::zeros({1, 1}, torch::kInt64), &cache), std::exception);
}

}  // namespace
}  // namespace crossover
