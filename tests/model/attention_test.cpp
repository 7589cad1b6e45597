// Attention: SDPA path equals an explicit softmax(QKᵀ/√D)·V, causal masking,
// and finite-difference gradients (causal and bidirectional, GQA + QK-norm).
#include "crossover/model/attention.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "model/gradcheck.h"

namespace crossover {
namespace {

Attention make_attention(int64_t n_kv_heads, bool qk_norm) {
  auto a = Attention(AttentionOptions(12, 3).n_kv_heads(n_kv_heads).qk_norm(qk_norm).max_seq_len(8));
  a->to(torch::kFloat64);
  torch::NoGradGuard g;
  for (auto& p : a->parameters()) p.normal_(0.0, 0.4);
  return a;
}

// softmax(QKᵀ/√D)·V spelled out, heads and GQA expanded by hand.
torch::Tensor explicit_attention(AttentionImpl& a, const torch::Tensor& x, bool causal) {
  int64_t B = x.size(0), T = x.size(1), H = 3, D = 4, Hkv = a.kv_heads();
  auto qkv = a.wqkv(x);
  auto q = qkv.slice(2, 0, H * D).view({B, T, H, D});
  auto k = qkv.slice(2, H * D, (H + Hkv) * D).view({B, T, Hkv, D});
  auto v = qkv.slice(2, (H + Hkv) * D).view({B, T, Hkv, D});
  if (a.options.qk_norm()) {
    q = a.q_norm(q);
    k = a.k_norm(k);
  }
  q = a.rope(q);
  k = a.rope(k);
  std::vector<torch::Tensor> heads;
  for (int64_t h = 0; h < H; ++h) {
    int64_t hk = h / (H / Hkv);
    auto s = torch::matmul(q.select(2, h), k.select(2, hk).transpose(1, 2)) / std::sqrt(double(D));
    if (causal) s = s.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -INFINITY);
    heads.push_back(torch::matmul(s.softmax(-1), v.select(2, hk)));  // (B, T, D)
  }
  return a.wo(torch::cat(heads, -1));
}

TEST(Attention, MatchesExplicitSoftmaxAttention) {
  torch::manual_seed(4);
  for (int64_t kv : {0, 1}) {
    auto a = make_attention(kv, kv == 1);
    auto x = torch::randn({2, 7, 12}, torch::kFloat64);
    for (bool causal : {true, false}) {
      auto want = explicit_attention(*a, x, causal);
      EXPECT_TRUE(torch::allclose(a(x, causal), want, 1e-10, 1e-12)) << "kv=" << kv << " causal=" << causal;
    }
  }
}

TEST(Attention, FiniteDifferenceGradientsCausal) {
  torch::manual_seed(5);
  auto a = make_attention(1, true);
  auto x = torch::randn({2, 5, 12}, torch::kFloat64).requires_grad_();
  auto r = torch::randn({2, 5, 12}, torch::kFloat64);
  testing::expect_gradients_match([&] { return (a(x, true) * r).sum(); },
                                  testing::named_tensors(*a, {{"x", x}}), 12);
}

TEST(Attention, FiniteDifferenceGradientsBidirectional) {
  torch::manual_seed(6);
  auto a = make_attention(0, false);
  auto x = torch::randn({2, 5, 12}, torch::kFloat64).requires_grad_();
  auto r = torch::randn({2, 5, 12}, torch::kFloat64);
  testing::expect_gradients_match([&] { return (a(x, false) * r).sum(); },
                                  testing::named_tensors(*a, {{"x", x}}), 12);
}

TEST(Attention, DropoutOnlyWhileTraining) {
  torch::manual_seed(7);
  auto a = Attention(AttentionOptions(12, 3).dropout(0.5).max_seq_len(8));
  auto x = torch::randn({2, 6, 12});
  a->eval();
  EXPECT_TRUE(torch::equal(a(x, false), a(x, false)));
  a->train();
  EXPECT_FALSE(torch::equal(a(x, false), a(x, false)));
}

}  // namespace
}  // namespace crossover
