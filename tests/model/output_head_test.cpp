// The split forward pass: transformer_head on rows selected from
// transformer_hidden equals the full forward's logits at those positions
// (untied and tied heads, dense and MoE, float64 and float32), so masked-only
// heads in training and evaluation compute exactly what the full head would.
#include "crossover/model/output_head.h"

#include <gtest/gtest.h>
#include <c10/util/ThreadLocalDebugInfo.h>
#include <torch/torch.h>

#include <iostream>

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

namespace crossover {
namespace {

// ---- chunked LM head + cross-entropy -------------------------------------

// Bytes the CPU allocator hands out while alive: current and peak (c10's
// memory-reporting hook, the one the profiler's profile_memory uses).
struct CpuPeakBytes : c10::MemoryReportingInfoBase {
  int64_t current = 0, peak = 0;
  void reportMemoryUsage(void*, int64_t alloc_size, size_t, size_t, c10::Device device) override {
    if (!device.is_cpu()) return;
    current += alloc_size;  // negative when freed
    peak = std::max(peak, current);
  }
  bool memoryProfilingEnabled() const override { return true; }
};

struct HeadRun {
  torch::Tensor loss, grad_hidden, grad_w, grad_b;
  int64_t peak_bytes = 0;
};

// Loss and gradients of chunked_head_loss_sum on hidden (N, C), with the
// peak bytes allocated from the call to the end of backward.
HeadRun run_head(Transformer& m, const torch::Tensor& hidden0, const torch::Tensor& targets,
                 const torch::Tensor& weights, int64_t chunk) {
  m->zero_grad();
  auto hidden = hidden0.detach().clone().requires_grad_(true);
  HeadRun r;
  auto tracker = std::make_shared<CpuPeakBytes>();
  {
    c10::DebugInfoGuard guard(c10::DebugInfoKind::PROFILER_STATE, tracker);
    auto loss = chunked_head_loss_sum(*m, hidden, targets, weights, chunk);
    loss.backward();
    r.loss = loss.detach();
  }
  r.peak_bytes = tracker->peak;
  r.grad_hidden = hidden.grad();
  auto& w = m->head ? m->head->weight : m->tok_emb->weight;
  r.grad_w = w.grad().clone();
  if (m->head && m->head->bias.defined()) r.grad_b = m->head->bias.grad().clone();
  return r;
}

double rel(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item<double>();
}

// Equal losses and gradients (hidden, head weight) to the unchunked path —
// transformer_head + cross-entropy — within 1e-6 relative in fp32, for an
// untied and a tied head, and chunks that do not divide N.
TEST(OutputHead, ChunkedHeadLossEqualsTheUnchunkedPath) {
  for (bool tied : {false, true}) {
    torch::manual_seed(7);
    Transformer m(TransformerOptions(300, 32).n_layers(1).n_heads(2).max_seq_len(16)
                      .tie_embeddings(tied));
    const int64_t N = 203;
    auto hidden = torch::randn({N, 32});                               // (N, C)
    auto targets = torch::randint(0, 300, {N}, torch::kInt64);         // (N)
    auto weights = torch::rand({N}) * (torch::rand({N}) < 0.7);        // (N), some zero
    HeadRun ref = run_head(m, hidden, targets, weights, 0);            // unchunked
    for (int64_t chunk : {1, 17, 64, 202}) {
      HeadRun c = run_head(m, hidden, targets, weights, chunk);
      EXPECT_LT(rel(c.loss, ref.loss), 1e-6) << "tied " << tied << " chunk " << chunk;
      EXPECT_LT(rel(c.grad_hidden, ref.grad_hidden), 1e-6) << "tied " << tied << " chunk " << chunk;
      EXPECT_LT(rel(c.grad_w, ref.grad_w), 1e-6) << "tied " << tied << " chunk " << chunk;
    }
    // A chunk as large as N is the unchunked path itself, bit for bit.
    HeadRun same = run_head(m, hidden, targets, weights, N);
    EXPECT_TRUE(torch::equal(same.loss, ref.loss));
    EXPECT_TRUE(torch::equal(same.grad_hidden, ref.grad_hidden));
  }
}

// Float64 against finite differences of the loss in hidden (the outside truth
// for the hand-written backward).
TEST(OutputHead, ChunkedHeadLossGradientMatchesFiniteDifferences) {
  torch::manual_seed(3);
  Transformer m(TransformerOptions(40, 8).n_layers(1).n_heads(2).max_seq_len(8));
  m->to(torch::kFloat64);
  auto hidden = torch::randn({9, 8}, torch::kFloat64);
  auto targets = torch::randint(0, 40, {9}, torch::kInt64);
  auto weights = torch::rand({9}, torch::kFloat64);
  HeadRun c = run_head(m, hidden, targets, weights, 4);
  const double h = 1e-6;
  for (int64_t i : {0, 4, 8})
    for (int64_t j : {0, 7}) {
      auto hp = hidden.clone(), hm = hidden.clone();
      hp[i][j] += h;
      hm[i][j] -= h;
      torch::NoGradGuard ng;
      const double fd = (chunked_head_loss_sum(*m, hp, targets, weights, 4) -
                         chunked_head_loss_sum(*m, hm, targets, weights, 4)).item<double>() / (2 * h);
      EXPECT_NEAR(c.grad_hidden[i][j].item<double>(), fd, 1e-7) << i << "," << j;
    }
}

// The point of chunking: at V = 32k the peak bytes of loss + backward drop
// from ~3 copies of the (N, V) fp32 logits to a chunk's worth.
TEST(OutputHead, ChunkedHeadLossLowersPeakMemoryAtV32k) {
  torch::manual_seed(1);
  const int64_t V = 32000, C = 64, N = 1024, chunk = 128;
  Transformer m(TransformerOptions(V, C).n_layers(1).n_heads(2).max_seq_len(16));
  auto hidden = torch::randn({N, C});
  auto targets = torch::randint(0, V, {N}, torch::kInt64);
  auto weights = torch::ones({N});
  HeadRun full = run_head(m, hidden, targets, weights, 0);
  HeadRun chunked = run_head(m, hidden, targets, weights, chunk);
  const double logits_mb = static_cast<double>(N * V * 4) / (1 << 20);
  std::cout << "V=" << V << " N=" << N << " C=" << C << ": peak " << full.peak_bytes / (1 << 20)
            << " MiB unchunked, " << chunked.peak_bytes / (1 << 20) << " MiB in chunks of " << chunk
            << " rows (one (N, V) fp32 copy is " << logits_mb << " MiB)\n";
  EXPECT_GT(full.peak_bytes, 2 * N * V * 4);  // logits + their softmax / gradient
  // A chunk's logits, softmax and gradient, plus the (V, C) weight gradient.
  EXPECT_LT(chunked.peak_bytes, 6 * chunk * V * 4 + 3 * V * C * 4);
  EXPECT_LT(rel(chunked.grad_w, full.grad_w), 1e-5);
}

}  // namespace
}  // namespace crossover
