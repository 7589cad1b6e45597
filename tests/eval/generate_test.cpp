// Sampling: KV-cache AR generation equals full-recompute generation; top-k /
// top-p keep exactly the tokens they should; Gumbel-max samples match
// softmax(logits / temperature); the MDM sampler keeps the prompt, leaves no
// [MASK], is reproducible and with one token per step commits the most
// confident position first (checked against a hand-rolled loop); the BD3
// sampler with its KV cache produces exactly the tokens of the uncached one
// (same seed), one forward per denoising step over the current block, keeps
// the prompt, stops at EOS, and with block size = gen length and the prompt
// on a block boundary is the MDM sampler.
#include "crossover/eval/generate.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "crossover/util/rng.h"

namespace crossover {
namespace {

constexpr int64_t kV = 13, kMask = 12;

Transformer tiny_model(uint64_t seed, int64_t n_kv_heads = 0) {
  torch::manual_seed(seed);
  Transformer m(TransformerOptions(kV, 16).n_layers(2).n_heads(2).n_kv_heads(n_kv_heads)
                    .max_seq_len(40).init_std(0.5));
  m->eval();
  return m;
}

TEST(ArGenerate, KvCacheEqualsFullRecompute) {
  for (int64_t hkv : {0, 1}) {
    Transformer m = tiny_model(3, hkv);
    auto prompt = torch::randint(0, kV - 1, {4, 5}, torch::kInt64);
    ArSampleOptions o;
    o.max_new_tokens = 20;
    o.temperature = 0;  // greedy
    o.banned_ids = {kMask};
    auto gen = make_generator(1, "t");
    auto cached = ar_generate(m, prompt, o, gen);
    o.use_cache = false;
    auto full = ar_generate(m, prompt, o, gen);
    EXPECT_TRUE(torch::equal(cached, full));
    EXPECT_EQ(cached.size(1), 25);
    EXPECT_TRUE(torch::equal(cached.narrow(1, 0, 5), prompt));
    // Sampled (temperature 1, top-k, top-p) with the same seed: also identical.
    o.temperature = 1.0;
    o.top_k = 5;
    o.top_p = 0.9;
    auto g1 = make_generator(7, "t"), g2 = make_generator(7, "t");
    auto a = ar_generate(m, prompt, o, g1);
    o.use_cache = true;
    auto b = ar_generate(m, prompt, o, g2);
    EXPECT_TRUE(torch::equal(a, b));
  }
}

TEST(ArGenerate, StopsAtEosAndCapsAtMaxSeqLen) {
  Transformer m = tiny_model(4);
  auto prompt = torch::zeros({2, 30}, torch::kInt64);
  ArSampleOptions o;
  o.max_new_tokens = 50;
  o.temperature = 0;
  auto gen = make_generator(1, "t");
  EXPECT_EQ(ar_generate(m, prompt, o, gen).size(1), 40);  // max_seq_len
  // Make the greedy token EOS: every row stops after one step.
  auto probe = ar_generate(m, prompt.narrow(1, 0, 3), o, gen);
  o.eos_id = probe[0][3].item<int64_t>();
  auto out = ar_generate(m, probe.narrow(0, 0, 1).narrow(1, 0, 3), o, gen);
  EXPECT_EQ(out.size(1), 4);
}

TEST(SampleFromLogits, TopKAndTopPKeepTheRightTokens) {
  // probabilities 0.5, 0.25, 0.125, 0.125 (logits are log-probs)
  auto logits = torch::log(torch::tensor({0.5, 0.25, 0.125, 0.125})).unsqueeze(0).repeat({4000, 1});
  auto gen = make_generator(5, "t");
  auto k2 = sample_from_logits(logits, 1.0, 2, 1.0, gen);
  EXPECT_LE(k2.max().item<int64_t>(), 1);
  double frac0 = (k2 == 0).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(frac0, 2.0 / 3.0, 0.03);  // renormalised 0.5 / 0.75
  // top_p 0.7: tokens 0 and 1 (mass before token 1 is 0.5 < 0.7); 0.45: token 0 only.
  auto p7 = sample_from_logits(logits, 1.0, 0, 0.7, gen);
  EXPECT_LE(p7.max().item<int64_t>(), 1);
  EXPECT_GT(p7.max().item<int64_t>(), 0);
  auto p5 = sample_from_logits(logits, 1.0, 0, 0.45, gen);
  EXPECT_EQ(p5.max().item<int64_t>(), 0);
  EXPECT_TRUE(torch::equal(sample_from_logits(logits.narrow(0, 0, 2), 0.0, 0, 1.0, gen),
                           torch::zeros({2}, torch::kInt64)));
}

TEST(GumbelNoise, ArgmaxSamplesTheTemperedSoftmax) {
  auto logits = torch::tensor({1.0, 0.0, -1.0}, torch::kFloat64).unsqueeze(0).repeat({20000, 1});
  auto gen = make_generator(9, "t");
  const double temp = 2.0;
  auto x = add_gumbel_noise(logits, temp, gen).argmax(-1);
  auto expect = torch::softmax(torch::tensor({1.0, 0.0, -1.0}, torch::kFloat64) / temp, 0);
  for (int64_t v = 0; v < 3; ++v)
    EXPECT_NEAR((x == v).to(torch::kFloat64).mean().item<double>(), expect[v].item<double>(), 0.015);
  EXPECT_TRUE(torch::equal(add_gumbel_noise(logits, 0.0, gen), logits));
}

TEST(MdmGenerate, NumTransferTokensByHand) {
  auto k = num_transfer_tokens(torch::tensor({7, 4, 0}, torch::kInt64), 3);
  EXPECT_TRUE(torch::equal(k, torch::tensor({3, 2, 2, 2, 1, 1, 0, 0, 0}, torch::kInt64).view({3, 3})));
}

TEST(MdmGenerate, KeepsPromptLeavesNoMaskAndIsReproducible) {
  Transformer m = tiny_model(6);
  auto prompt = torch::randint(0, kV - 1, {3, 6}, torch::kInt64);
  for (const std::string remask : {"low_confidence", "random"}) {
    for (int64_t block : {16, 8, 4}) {
      MdmSampleOptions o;
      o.gen_length = 16;
      o.steps = 8;
      o.block_length = block;
      o.temperature = 0.7;
      o.remasking = remask;
      o.mask_id = kMask;
      auto g1 = make_generator(2, "s"), g2 = make_generator(2, "s");
      auto a = mdm_generate(m, prompt, o, g1), b = mdm_generate(m, prompt, o, g2);
      EXPECT_TRUE(torch::equal(a, b)) << remask << " block " << block;
      EXPECT_TRUE(torch::equal(a.narrow(1, 0, 6), prompt));
      EXPECT_EQ((a == kMask).sum().item<int64_t>(), 0);
      EXPECT_EQ(a.size(1), 22);
    }
  }
  MdmSampleOptions bad;
  bad.mask_id = kMask;
  bad.gen_length = 10;
  bad.block_length = 4;
  auto g = make_generator(0, "s");
  EXPECT_THROW(mdm_generate(m, prompt, bad, g), std::exception);
}

TEST(MdmGenerate, OneTokenPerStepLowConfidenceMatchesHandLoop) {
  Transformer m = tiny_model(8);
  auto prompt = torch::randint(0, kV - 1, {2, 4}, torch::kInt64);
  const int64_t G = 6;
  MdmSampleOptions o;
  o.gen_length = G;
  o.steps = G;
  o.block_length = G;
  o.mask_id = kMask;
  auto gen = make_generator(0, "s");
  auto out = mdm_generate(m, prompt, o, gen);
  // Reference: each step, among masked positions, commit the argmax token of
  // the position whose argmax probability is highest.
  torch::NoGradGuard no_grad;
  auto x = torch::cat({prompt, torch::full({2, G}, kMask, torch::kInt64)}, 1);
  for (int64_t s = 0; s < G; ++s) {
    auto logits = m->forward(x, false).logits.to(torch::kFloat64);
    logits.select(-1, kMask).fill_(-INFINITY);
    auto p = logits.softmax(-1);
    for (int64_t r = 0; r < 2; ++r) {
      int64_t best = -1;
      double best_p = -1;
      for (int64_t t = 4; t < 4 + G; ++t) {
        if (x[r][t].item<int64_t>() != kMask) continue;
        double pt = p[r][t].max().item<double>();
        if (pt > best_p) best_p = pt, best = t;
      }
      x[r][best] = p[r][best].argmax().item<int64_t>();
    }
  }
  EXPECT_TRUE(torch::equal(out, x));
}


// The sampler as it was before it restricted float64 to the current block:
// (B, T, V) float64 logits, confidences over all T positions with later
// blocks set to -inf (LLaDA's generate() line for line, temperature 0).
torch::Tensor mdm_generate_full_t(Transformer& model, const torch::Tensor& prompt,
                                  const MdmSampleOptions& o, torch::Generator& gen) {
  torch::NoGradGuard no_grad;
  const int64_t B = prompt.size(0), P = prompt.size(1), T = P + o.gen_length;
  const int64_t n_blocks = o.gen_length / o.block_length, per_block = o.steps / n_blocks;
  auto x = torch::full({B, T}, o.mask_id, torch::kInt64);
  x.narrow(1, 0, P).copy_(prompt);
  for (int64_t blk = 0; blk < n_blocks; ++blk) {
    const int64_t b0 = P + blk * o.block_length, b1 = b0 + o.block_length;
    auto k_per_step =
        num_transfer_tokens((x.narrow(1, b0, o.block_length) == o.mask_id).sum(1), per_block);
    for (int64_t s = 0; s < per_block; ++s) {
      auto masked = x == o.mask_id;
      auto logits = model->forward(x, false).logits.to(torch::kFloat64);  // (B, T, V)
      logits.select(-1, o.mask_id).fill_(-INFINITY);
      auto x0 = logits.argmax(-1);
      torch::Tensor conf = o.remasking == "low_confidence"
                               ? logits.softmax(-1).gather(-1, x0.unsqueeze(-1)).squeeze(-1)
                               : torch::rand({B, T}, gen, torch::kFloat64);
      conf.narrow(1, b1, T - b1).fill_(-INFINITY);
      x0 = torch::where(masked, x0, x);
      conf = torch::where(masked, conf, torch::full_like(conf, -INFINITY));
      for (int64_t r = 0; r < B; ++r) {
        const int64_t k = k_per_step[r][s].item<int64_t>();
        if (k == 0) continue;
        auto idx = std::get<1>(conf[r].topk(k));
        x[r].index_copy_(0, idx, x0[r].index_select(0, idx));
      }
    }
  }
  return x;
}

TEST(MdmGenerate, BlockOnlyFloat64EqualsTheFullSequenceSampler) {
  Transformer m = tiny_model(9, /*n_kv_heads=*/1);
  auto prompt = torch::randint(0, kV - 1, {3, 5}, make_generator(1, "p"), torch::kInt64);
  for (const std::string remask : {"low_confidence", "random"}) {
    for (int64_t block : {24, 8, 4}) {
      MdmSampleOptions o;
      o.gen_length = 24;
      o.steps = 12;
      o.block_length = block;
      o.temperature = 0;
      o.remasking = remask;
      o.mask_id = kMask;
      auto g1 = make_generator(4, "s"), g2 = make_generator(4, "s");
      auto got = mdm_generate(m, prompt, o, g1);
      auto want = mdm_generate_full_t(m, prompt, o, g2);
      EXPECT_TRUE(torch::equal(got, want)) << remask << " block " << block;
    }
  }
  MdmSampleOptions o;
  o.gen_length = 8;
  o.steps = 8;
  o.block_length = 8;
  o.mask_id = kMask;
  auto g = make_generator(0, "s");
  auto masked_prompt = prompt.clone();
  masked_prompt[0][2] = kMask;
  EXPECT_THROW(mdm_generate(m, masked_prompt, o, g), std::exception);
}


Bd3SampleOptions bd3_opts(int64_t gen, int64_t block, int64_t steps) {
  Bd3SampleOptions o;
  o.gen_length = gen;
  o.block_size = block;
  o.steps_per_block = steps;
  o.mask_id = kMask;
  return o;
}

TEST(Bd3Generate, KvCacheGivesTheTokensOfTheUncachedSampler) {
  for (int64_t hkv : {0, 1}) {
    Transformer m = tiny_model(11, hkv);
    for (int64_t P : {3, 8, 1}) {  // the prompt ends inside a block, on a boundary, one token
      auto prompt = torch::randint(0, kV - 1, {3, P}, torch::kInt64);
      for (const std::string remask : {"low_confidence", "random"}) {
        for (double temp : {0.0, 0.8}) {
          auto o = bd3_opts(/*gen=*/21, /*block=*/4, /*steps=*/2);
          o.remasking = remask;
          o.temperature = temp;
          auto g1 = make_generator(5, "b"), g2 = make_generator(5, "b");
          int64_t fw_cached = 0, fw_full = 0;
          auto cached = bd3_generate(m, prompt, o, g1, &fw_cached);
          o.use_cache = false;
          auto full = bd3_generate(m, prompt, o, g2, &fw_full);
          const std::string what = remask + " T=" + std::to_string(temp) + " P=" + std::to_string(P);
          EXPECT_TRUE(torch::equal(cached, full)) << what;
          EXPECT_EQ(cached.size(1), P + 21) << what;
          EXPECT_TRUE(torch::equal(cached.narrow(1, 0, P), prompt)) << what;
          EXPECT_EQ((cached == kMask).sum().item<int64_t>(), 0) << what;
          // Uncached: one forward per step. Cached: the same, plus one per
          // final block (the prompt's whole blocks and each generated block
          // but the last) to enter the cache.
          const int64_t T = P + 21, first = P / 4, blocks = (T + 3) / 4 - first;
          int64_t steps = 0;
          for (int64_t k = first; k * 4 < T; ++k) steps += std::min<int64_t>(2, std::min<int64_t>(4, T - k * 4));
          EXPECT_EQ(fw_full, steps) << what;
          EXPECT_EQ(fw_cached, steps + first + blocks - 1) << what;
        }
      }
    }
  }
}

// One block holding the whole row (block size >= T) is full attention, so bd3
// is then the MDM sampler with one block (argmax decoding: the Gumbel draws
// cover the block's positions, MDM's only the answer's).
TEST(Bd3Generate, OneBlockForTheWholeRowIsTheMdmSampler) {
  Transformer m = tiny_model(12);
  auto prompt = torch::randint(0, kV - 1, {2, 3}, torch::kInt64);
  auto ob = bd3_opts(/*gen=*/13, /*block=*/16, /*steps=*/0);
  const int64_t masked = 13;
  ob.steps_per_block = 13;
  MdmSampleOptions mo;
  mo.gen_length = masked;
  mo.steps = masked;
  mo.block_length = masked;
  mo.mask_id = kMask;
  auto g1 = make_generator(9, "b"), g2 = make_generator(9, "b");
  auto a = bd3_generate(m, prompt, ob, g1);
  auto b = mdm_generate(m, prompt, mo, g2);
  EXPECT_TRUE(torch::equal(a, b));
  // With blocks of 4 the answer is decoded differently (the layouts differ).
  auto o4 = bd3_opts(13, 4, 0);
  auto g3 = make_generator(9, "b");
  EXPECT_FALSE(torch::equal(bd3_generate(m, prompt, o4, g3), b));
}

TEST(Bd3Generate, StopsAfterTheBlockWhereEveryRowHasEos) {
  Transformer m = tiny_model(13);
  auto prompt = torch::randint(0, kV - 1, {1, 2}, torch::kInt64);
  auto o = bd3_opts(/*gen=*/30, /*block=*/4, /*steps=*/0);
  auto g = make_generator(1, "b");
  auto free_run = bd3_generate(m, prompt, o, g);
  ASSERT_EQ(free_run.size(1), 32);
  // Make the first generated token the stop token: the row then ends in the
  // first block (positions 0..3), and the tokens up to there are unchanged.
  o.eos_id = free_run[0][2].item<int64_t>();
  auto g2 = make_generator(1, "b");
  auto stopped = bd3_generate(m, prompt, o, g2);
  EXPECT_EQ(stopped.size(1), 4);
  EXPECT_TRUE(torch::equal(stopped, free_run.narrow(1, 0, 4)));
  // A row_done that is always true stops after the first block too.
  o.eos_id = -1;
  o.row_done = [](const torch::Tensor&) { return true; };
  auto g3 = make_generator(1, "b");
  EXPECT_EQ(bd3_generate(m, prompt, o, g3).size(1), 4);
  // Bad options: more steps than a block has tokens; a prompt holding [MASK].
  auto bad = bd3_opts(8, 4, 5);
  auto g4 = make_generator(1, "b");
  EXPECT_THROW(bd3_generate(m, prompt, bad, g4), std::exception);
  auto masked_prompt = torch::full({1, 3}, kMask, torch::kInt64);
  EXPECT_THROW(bd3_generate(m, masked_prompt, bd3_opts(8, 4, 0), g4), std::exception);
}

}  // namespace
}  // namespace crossover
