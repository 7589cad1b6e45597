// Adaptive Monte Carlo for multiple choice (eval/adaptive_mc.h), on synthetic
// choices whose true gaps are known (Gaussian per-sample estimates with a
// noise component the choices share, as common random numbers give): items
// with a clear gap stop in the first round, items with no gap run to the cap,
// the shared noise cancels in the paired differences, acc_norm's decision is
// waited for, and the rate of confidently wrong decisions stays within the
// union bound looks·(choices−1)·Φ(−z) that adaptive_mc.h promises. Then on a
// small masked-diffusion model: fixed mode is the old scoring bit for bit,
// adaptive with task_mc_min = cap is fixed mode, and adaptive spends fewer
// forward passes than fixed at the same cap.
#include "crossover/eval/adaptive_mc.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "crossover/eval/multiple_choice.h"

namespace crossover {
namespace {

// Synthetic item: choice c's sample i is mean[c] + shared_i·shared_sd + e_ci·sd.
struct SyntheticItem {
  std::vector<double> mean;
  double sd = 1.0, shared_sd = 0.0;
};

McRoundSampler synthetic_sampler(const std::vector<SyntheticItem>& items,
                                 const AdaptiveMcOptions& o, int64_t cap, uint64_t seed) {
  return [&items, o, cap, seed](int64_t round, const std::vector<size_t>& open) {
    const int64_t n = mc_round_samples(o, cap, round);
    std::vector<std::vector<std::vector<double>>> out;
    for (size_t i : open) {
      std::mt19937_64 rng(seed * 1000003ULL + i * 7919ULL + static_cast<uint64_t>(round));
      std::normal_distribution<double> normal;
      const auto& it = items[i];
      std::vector<std::vector<double>> draws(it.mean.size());
      for (int64_t s = 0; s < n; ++s) {
        const double shared = normal(rng) * it.shared_sd;
        for (size_t c = 0; c < it.mean.size(); ++c)
          draws[c].push_back(it.mean[c] + shared + normal(rng) * it.sd);
      }
      out.push_back(std::move(draws));
    }
    return out;
  };
}

std::vector<McItemState> run_synthetic(const std::vector<SyntheticItem>& items,
                                       const AdaptiveMcOptions& o, int64_t cap, uint64_t seed = 1) {
  std::vector<McItemState> states(items.size());
  for (size_t i = 0; i < items.size(); ++i) states[i].norm.assign(items[i].mean.size(), 1.0);
  run_adaptive_mc(&states, o, cap, synthetic_sampler(items, o, cap, seed));
  return states;
}

size_t leader(const McItemState& s) {
  size_t best = 0;
  double best_mean = -1e300;
  for (size_t c = 0; c < s.samples.size(); ++c) {
    double m = 0;
    for (double v : s.samples[c]) m += v;
    m /= static_cast<double>(s.samples[c].size());
    if (m > best_mean) best_mean = m, best = c;
  }
  return best;
}

AdaptiveMcOptions adaptive(int64_t min = 32, int64_t round = 16, double z = 3.0) {
  AdaptiveMcOptions o;
  o.mode = McMode::kAdaptive;
  o.min_samples = min;
  o.round = round;
  o.z = z;
  return o;
}

double normal_tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }  // Φ(−z)

TEST(AdaptiveMc, RoundScheduleAndModeNames) {
  AdaptiveMcOptions o = adaptive(32, 16);
  std::vector<int64_t> got;
  for (int64_t r = 0; r < 8; ++r) got.push_back(mc_round_samples(o, 100, r));
  EXPECT_EQ(got, (std::vector<int64_t>{32, 16, 16, 16, 16, 4, 0, 0}));  // 32 + 4·16 + 4 = 100
  EXPECT_EQ(mc_round_samples(o, 8, 0), 8);  // a cap below the minimum: one round of the cap
  EXPECT_EQ(mc_round_samples(o, 8, 1), 0);
  AdaptiveMcOptions f;  // fixed: one round of the cap
  EXPECT_EQ(mc_round_samples(f, 128, 0), 128);
  EXPECT_EQ(mc_round_samples(f, 128, 1), 0);
  EXPECT_EQ(mc_round_seed(kTaskSeed, 0), kTaskSeed);  // round 0 = fixed mode's draws
  EXPECT_NE(mc_round_seed(kTaskSeed, 1), mc_round_seed(kTaskSeed, 2));
  EXPECT_EQ(parse_choice<McMode>("adaptive"), McMode::kAdaptive);
  EXPECT_EQ(choice_name(McMode::kFixed), "fixed");
  EXPECT_THROW(parse_choice<McMode>("adaptiv"), UsageError);
}

TEST(AdaptiveMc, PairedStderrByHand) {
  // d = a − b = {1, 3, 2, 2}: mean 2, sample variance 2/3, se = sqrt(2/3 / 4).
  EXPECT_NEAR(paired_diff_stderr({4, 6, 5, 5}, {3, 3, 3, 3}), std::sqrt(2.0 / 3.0 / 4.0), 1e-15);
  EXPECT_EQ(paired_diff_stderr({-1.0}, {-2.0}), 0.0);               // both exact
  EXPECT_NEAR(paired_diff_stderr({-1.0}, {1, 3}), std::sqrt(2.0 / 2.0), 1e-15);  // exact pairs
}

TEST(AdaptiveMc, ExactChoicesStopAfterOneSample) {
  std::vector<McItemState> st(1);
  st[0].norm = {1, 1};
  int64_t calls = 0;
  run_adaptive_mc(&st, adaptive(), 512, [&](int64_t, const std::vector<size_t>& open) {
    ++calls;
    return std::vector<std::vector<std::vector<double>>>(open.size(), {{-1.0}, {-1.0}});  // a tie
  });
  EXPECT_EQ(calls, 1);  // exact scores: nothing to gain from another round, even on a tie
  EXPECT_TRUE(st[0].resolved);
  EXPECT_EQ(mc_item_samples(st[0]), 1);
}

TEST(AdaptiveMc, ClearGapStopsAtTheFirstRoundAndNoGapRunsToTheCap) {
  // Gap 2 with sd 1 per choice: after 32 samples se(d) = √2/√32 = 0.25, z·se = 0.75 < 2.
  std::vector<SyntheticItem> clear(200, SyntheticItem{{-10.0, -12.0, -13.0}});
  auto st = run_synthetic(clear, adaptive(), 512);
  for (const auto& s : st) {
    EXPECT_TRUE(s.resolved);
    EXPECT_EQ(mc_item_samples(s), 32);
    EXPECT_EQ(leader(s), 0u);
  }
  // No gap: a stop is a false alarm, at most 2Φ(−z) a look (either choice may lead).
  std::vector<SyntheticItem> tie(400, SyntheticItem{{-10.0, -10.0}});
  st = run_synthetic(tie, adaptive(), 512);
  const int64_t looks = 1 + (512 - 32) / 16;  // 31
  int64_t early = 0;
  for (const auto& s : st) early += mc_item_samples(s) < 512 ? 1 : 0;
  const double bound = looks * 2 * normal_tail(3.0);  // 0.084
  EXPECT_LE(early / 400.0, bound) << early << " of 400 tied items stopped before the cap";
  for (const auto& s : st) {
    if (mc_item_samples(s) == 512) {
      EXPECT_FALSE(s.resolved);
    }
  }
}

TEST(AdaptiveMc, SharedNoiseCancelsInThePairedDifferences) {
  // The shared draw moves every choice together (common random numbers): sd 5
  // shared, 0.3 own, gap 0.6. Paired: se(d) = 0.3·√2/√32 = 0.075, z·se = 0.23 <
  // 0.6 (5 se of margin), resolved at 32. Unpaired errors would be ≈ 5·√2/√n,
  // z·se = 0.94 > 0.6 even at 512: never resolved.
  std::vector<SyntheticItem> items(100, SyntheticItem{{-10.0, -10.6}, 0.3, 5.0});
  auto st = run_synthetic(items, adaptive(), 512);
  for (const auto& s : st) {
    EXPECT_TRUE(s.resolved);
    EXPECT_EQ(mc_item_samples(s), 32);
    EXPECT_EQ(leader(s), 0u);
  }
}

TEST(AdaptiveMc, WaitsForAccNormsDecisionToo) {
  // Raw sums: choice 0 leads by 3 (clear). Per character (1 vs 4 chars): −1 vs
  // −1, a tie, so acc_norm's decision never resolves and the item runs to the cap.
  std::vector<SyntheticItem> items(20, SyntheticItem{{-1.0, -4.0}, 0.5});
  std::vector<McItemState> st(items.size());
  for (auto& s : st) s.norm = {1.0, 4.0};
  AdaptiveMcOptions o = adaptive();
  run_adaptive_mc(&st, o, 256, synthetic_sampler(items, o, 256, 3));
  int64_t at_cap = 0;
  for (const auto& s : st) {
    EXPECT_TRUE(mc_decision_resolved(s.samples, {1.0, 1.0}, 3.0));  // acc alone: resolved
    at_cap += mc_item_samples(s) == 256 ? 1 : 0;
  }
  EXPECT_GE(at_cap, 17);  // false alarms ≤ 15·2Φ(−3) = 4% per item
}

TEST(AdaptiveMc, ConfidentlyWrongDecisionsStayWithinTheZPromise) {
  // 4000 items, four choices, gold 0 ahead of the others by a gap from a grid
  // of small values (0.005 .. 0.4 with sd 1): the hard regime, where many stop
  // early by chance. A wrong stop = resolved with a leader other than 0.
  const double z = 3.0;
  std::vector<SyntheticItem> items;
  for (int i = 0; i < 4000; ++i) {
    const double gap = 0.005 + 0.395 * (i % 80) / 79.0;
    items.push_back({{-10.0, -10.0 - gap, -10.0 - 2 * gap, -10.0 - 3 * gap}, 1.0, 1.0});
  }
  AdaptiveMcOptions o = adaptive(32, 16, z);
  auto st = run_synthetic(items, o, 512, 11);
  int64_t wrong = 0, resolved = 0;
  for (const auto& s : st) {
    resolved += s.resolved ? 1 : 0;
    wrong += s.resolved && leader(s) != 0 ? 1 : 0;
  }
  const int64_t looks = 1 + (512 - 32) / 16;
  const double bound = looks * 3 * normal_tail(z);  // union bound: looks × rivals × Φ(−z)
  const double rate = wrong / 4000.0;
  std::cout << "[          ] z " << z << ": " << resolved << " of 4000 resolved, " << wrong
            << " wrong (rate " << rate << ", promise <= " << bound << ", one look "
            << normal_tail(z) << ")\n";
  EXPECT_LE(rate, bound);     // the promise (0.126 here)
  EXPECT_GT(resolved, 1000);  // it does stop early on the easier items
}

// A small masked-diffusion model scored through evaluate_task.
class AdaptiveTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tok_ = make_byte_tokenizer();
    torch::manual_seed(5);
    model_ = Transformer(TransformerOptions(260, 16).n_layers(2).n_heads(2).max_seq_len(48)
                             .init_std(0.3));
    model_->to(torch::kFloat64);
    task_.name = "toy";
    const char* ctx[] = {"the cat", "a dog ran", "one two", "red green", "up"};
    const std::vector<std::vector<std::string>> choices = {
        {"sat on it", "flew", "x"}, {"far away", "home now"}, {"three", "four five six"},
        {"blue", "yellow sky"}, {"down here", "top"}};
    for (int i = 0; i < 5; ++i) {
      TaskItem it;
      it.context = ctx[i];
      it.choices = choices[i];
      it.gold = i % 2;
      task_.items.push_back(it);
    }
    opts_.loglik.paradigm = Paradigm::masked_diffusion();
    opts_.loglik.mask_id = tok_->mask_id();
    opts_.loglik.mc_samples = 64;
    opts_.max_seq_len = 48;
    opts_.items_per_chunk = 2;  // several chunks
  }
  std::unique_ptr<Tokenizer> tok_;
  Transformer model_{nullptr};
  Task task_;
  TaskScoringOptions opts_;
};

TEST_F(AdaptiveTaskTest, FixedModeIsTheOneShotScoring) {
  // The old scoring: every choice through compute_logliks at N = 64, items aggregated.
  TaskTotals want;
  for (size_t i = 0; i < task_.items.size(); ++i) {
    const auto& item = task_.items[i];
    std::vector<LoglikRequest> reqs;
    for (size_t c = 0; c < item.choices.size(); ++c) {
      reqs.push_back(make_loglik_request(*tok_, item.context, item.continuation(c), 48));
      reqs.back().item = static_cast<int64_t>(i);
      reqs.back().choice = static_cast<int64_t>(c);
    }
    std::vector<std::vector<double>> samples;
    auto ll = compute_logliks(model_, reqs, opts_.loglik, torch::kCPU, &samples);
    std::vector<ChoiceScore> scores;
    for (size_t c = 0; c < reqs.size(); ++c)
      scores.push_back({ll[c], reqs[c].continuation_tokens(), samples[c]});
    add_item_scores(item, scores, &want);
  }
  TaskResult w = task_result_from_totals("toy", want);
  TaskResult r = evaluate_task(model_, *tok_, task_, opts_, torch::kCPU);
  EXPECT_EQ(r.acc, w.acc);
  EXPECT_EQ(r.acc_norm, w.acc_norm);
  EXPECT_NEAR(r.margin, w.margin, 1e-12);
  EXPECT_NEAR(r.nll_correct, w.nll_correct, 1e-12);
  EXPECT_NEAR(r.nll_wrong, w.nll_wrong, 1e-12);
  EXPECT_EQ(r.mc_ambiguous, w.mc_ambiguous);
  EXPECT_EQ(r.mc_samples_mean, 64);
  EXPECT_EQ(r.forward_passes, 64 * 11);  // 11 choices, none of one token
}

TEST_F(AdaptiveTaskTest, AdaptiveWithMinAtTheCapIsFixedAndOtherwiseCheaper) {
  TaskResult fixed = evaluate_task(model_, *tok_, task_, opts_, torch::kCPU);
  TaskScoringOptions o = opts_;
  o.mc = adaptive(64, 16, 3.0);
  TaskResult same = evaluate_task(model_, *tok_, task_, o, torch::kCPU);
  EXPECT_EQ(same.acc, fixed.acc);
  EXPECT_EQ(same.margin, fixed.margin);
  EXPECT_EQ(same.forward_passes, fixed.forward_passes);

  o.mc = adaptive(8, 8, 2.0);
  o.loglik.mc_samples = 256;
  TaskResult a = evaluate_task(model_, *tok_, task_, o, torch::kCPU);
  EXPECT_EQ(a.n, 5);
  EXPECT_GE(a.mc_samples_p50, 8);
  EXPECT_LE(a.mc_samples_p95, 256);
  EXPECT_LE(a.mc_samples_p50, a.mc_samples_p95);
  EXPECT_LT(a.forward_passes, 256 * 11);
  EXPECT_GE(a.forward_passes, 8 * 11);
  // Deterministic whatever the chunking: the rounds of an item depend only on it.
  o.items_per_chunk = 5;
  o.keep_items = true;
  TaskResult b = evaluate_task(model_, *tok_, task_, o, torch::kCPU);
  ASSERT_EQ(b.items.size(), 5u);
  int64_t rows = 0;
  for (const auto& it : b.items) {
    EXPECT_EQ(it.loglik.size(), task_.items[it.index].choices.size());
    EXPECT_TRUE(it.resolved || it.samples == 256);  // unresolved only at the cap
    rows += it.samples * static_cast<int64_t>(it.loglik.size());  // no one-token choices here
  }
  EXPECT_EQ(rows, b.forward_passes);
  EXPECT_EQ(b.forward_passes, a.forward_passes);
  EXPECT_NEAR(b.margin, a.margin, 1e-9);
  EXPECT_EQ(b.acc, a.acc);
}

}  // namespace
}  // namespace crossover
