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

// The pre-enable_gqa path: SDPA on k, v copied up to H heads (repeat_interleave).
torch::Tensor repeat_kv_attention(AttentionImpl& a, const torch::Tensor& x, bool causal) {
  const int64_t B = x.size(0), T = x.size(1), H = a.options.n_heads(), D = a.head_dim(),
                Hkv = a.kv_heads();
  auto parts = a.wqkv(x).split({H * D, Hkv * D, Hkv * D}, -1);
  auto q = a.rope(a.q_norm(parts[0].view({B, T, H, D}))).transpose(1, 2);    // (B, H, T, D)
  auto k = a.rope(a.k_norm(parts[1].view({B, T, Hkv, D}))).transpose(1, 2);  // (B, Hkv, T, D)
  auto v = parts[2].view({B, T, Hkv, D}).transpose(1, 2);                     // (B, Hkv, T, D)
  auto y = at::scaled_dot_product_attention(q, k.repeat_interleave(H / Hkv, 1),
                                            v.repeat_interleave(H / Hkv, 1), {}, 0.0, causal);
  return a.wo(y.transpose(1, 2).reshape({B, T, H * D}));
}

TEST(Attention, NativeGqaEqualsRepeatedKeysAndValuesFp32) {
  // Forward bit for bit; gradients up to fp32 summation order (the group's
  // k/v gradient is summed inside the kernel instead of by repeat's backward).
  torch::manual_seed(8);
  auto a = Attention(AttentionOptions(64, 8).n_kv_heads(2).max_seq_len(32));
  for (bool causal : {true, false}) {
    auto x = torch::randn({3, 32, 64});
    auto r = torch::randn({3, 32, 64});
    a->zero_grad();
    auto y = a(x, causal);
    (y * r).sum().backward();
    std::vector<torch::Tensor> g;
    for (auto& p : a->parameters()) g.push_back(p.grad().clone());
    a->zero_grad();
    auto want = repeat_kv_attention(*a, x, causal);
    (want * r).sum().backward();
    EXPECT_TRUE(torch::equal(y, want)) << "causal=" << causal << " max diff "
                                       << (y - want).abs().max().item<double>();
    auto params = a->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      const double scale = params[i].grad().abs().max().item<double>();
      EXPECT_LE((g[i] - params[i].grad()).abs().max().item<double>(), 1e-6 * scale)
          << "parameter " << i << " causal=" << causal;
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
