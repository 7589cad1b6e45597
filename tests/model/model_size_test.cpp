// The closed-form parameter counts against the built module's own count.
#include "crossover/model/model_size.h"

#include <gtest/gtest.h>

#include "crossover/model/transformer.h"

namespace crossover {
namespace {

void expect_matches_module(const ModelConfig& m, int64_t vocab) {
  Transformer t(transformer_options_from_config(m, vocab));
  ModelSize s = model_size(m, vocab);
  EXPECT_EQ(static_cast<int64_t>(s.total), t->param_count());
  EXPECT_EQ(static_cast<int64_t>(s.active), t->active_param_count());
  EXPECT_DOUBLE_EQ(model_flops_per_token(m, vocab, 64), t->flops_per_token(64));
}

TEST(ModelSize, MatchesBuiltTransformer) {
  ModelConfig m;
  m.d_model = 64;
  m.n_layers = 2;
  m.n_heads = 4;
  expect_matches_module(m, 260);
  m.bias = true;  // biases in every linear layer but the head
  expect_matches_module(m, 260);
  m.bias = false;
  m.tie_embeddings = true;
  m.n_kv_heads = 2;
  m.qk_norm = false;
  m.d_ff = 96;
  expect_matches_module(m, 300);
  m.moe_experts = 4;
  m.moe_top_k = 2;
  m.bias = true;
  expect_matches_module(m, 260);
  m.vocab_size = 512;  // an explicit vocabulary wins over the dataset's
  expect_matches_module(m, 260);
  EXPECT_EQ(model_size(m, 260).embedding, 512.0 * 64);
}

TEST(ModelSize, HugeSizesDoNotOverflow) {
  ModelConfig m;
  m.d_model = 1 << 17;
  m.n_layers = 4000;
  m.n_heads = 1;
  m.vocab_size = 1 << 24;
  ModelSize s = model_size(m, 0);
  EXPECT_GT(s.total, 1e14);  // int64 products of these would still fit; the point is no wrap
  EXPECT_GT(s.embedding, 0);
}

}  // namespace
}  // namespace crossover
