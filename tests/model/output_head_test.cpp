// The split forward pass: transformer_head on rows selected from
// transformer_hidden equals the full forward's logits at those positions
// (untied and tied heads, dense and MoE, float64 and float32), so masked-only
// heads in training and evaluation compute exactly what the full head would.
#include "crossover/model/output_head.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace crossover {
namespace {

void expect_masked_head_equals_full(TransformerOptions o, torch::Dtype dtype, double tol) {
  torch::manual_seed(5);
  Transformer m(o);
  m->to(dtype);
  m->eval();
  auto x = torch::randint(0, o.vocab_size(), {3, 12}, torch::kInt64);  // (B, T)
  auto mask = torch::rand({3, 12}) < 0.4;                               // (B, T)
  for (bool causal : {false, true}) {
    ModelOutput full = m->forward(x, causal);                           // (B, T, V)
    torch::Tensor aux;
    auto hidden = transformer_hidden(*m, x, causal, &aux);              // (B, T, C)
    ASSERT_EQ(hidden.sizes(), (std::vector<int64_t>{3, 12, o.d_model()}));
    auto idx = torch::nonzero(mask);                                    // (M, 2)
    auto rows = hidden.index({idx.select(1, 0), idx.select(1, 1)});     // (M, C)
    auto logits = transformer_head(*m, rows);                           // (M, V)
    auto expect = full.logits.index({idx.select(1, 0), idx.select(1, 1)});
    EXPECT_EQ(logits.scalar_type(), full.logits.scalar_type());
    EXPECT_LT((logits - expect).abs().max().item<double>(), tol);
    EXPECT_NEAR(aux.item<double>(), full.aux_loss.item<double>(), tol);
    // A broken split (e.g. skipping the final norm) would not match.
    EXPECT_GT((transformer_head(*m, rows * 2.0) - expect).abs().max().item<double>(), 1e-3);
  }
}

TEST(OutputHead, MaskedRowsEqualTheFullHead) {
  expect_masked_head_equals_full(TransformerOptions(50, 16).n_layers(2).n_heads(2).max_seq_len(16),
                                 torch::kFloat64, 1e-12);
  expect_masked_head_equals_full(TransformerOptions(50, 16).n_layers(2).n_heads(2).max_seq_len(16),
                                 torch::kFloat32, 1e-5);
  expect_masked_head_equals_full(
      TransformerOptions(40, 16).n_layers(1).n_heads(2).max_seq_len(16).tie_embeddings(true)
          .moe_experts(4).moe_top_k(2),
      torch::kFloat64, 1e-12);
}

}  // namespace
}  // namespace crossover
