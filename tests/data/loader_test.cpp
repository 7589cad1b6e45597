// TokenLoader: packing, nested budgets, exact epochs, shuffles, DP shards,
// cursor resume; validation batches.
#include "crossover/data/loader.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <set>

#include "crossover/data/validation.h"
#include "crossover/util/check.h"
#include "data_test_util.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

constexpr int64_t kEos = 256;

struct Fixture {
  TempDir dir;
  std::vector<int64_t> lengths;
  PreparedDataset ds;
  explicit Fixture(int64_t n_docs = 40, std::vector<int64_t> val = {30, 5, 20}) {
    for (int64_t d = 0; d < n_docs; ++d) lengths.push_back(3 + (d * 13) % 29);
    crossover::testing::write_synthetic_dataset(dir.path().string(), lengths, val);
    ds = PreparedDataset::open(dir.path().string());
  }
};

DataConfig config(int64_t T, int64_t U = 0, const std::string& shuffle = "epoch") {
  DataConfig c;
  c.seq_len = T;
  c.unique_tokens = U;
  c.shuffle = parse_choice<Shuffle>(shuffle);
  return c;
}

// The packed stream rebuilt from sequences 0..N-1 (windows overlap by one token).
std::vector<int64_t> stream_of(const TokenLoader& l) {
  std::vector<int64_t> s;
  for (int64_t i = 0; i < l.sequences_per_epoch(); ++i) {
    torch::Tensor w = l.sequence(i);
    int64_t from = i == 0 ? 0 : 1;
    for (int64_t j = from; j < w.size(0); ++j) s.push_back(w[j].item<int64_t>());
  }
  return s;
}

// Splits a stream at EOS into documents; the trailing partial document is dropped.
std::vector<std::vector<int32_t>> documents_of(const std::vector<int64_t>& s) {
  std::vector<std::vector<int32_t>> docs(1);
  for (int64_t t : s) {
    if (t == kEos) docs.emplace_back();
    else docs.back().push_back(static_cast<int32_t>(t));
  }
  docs.pop_back();
  return docs;
}

TEST(TokenLoader, PackingIsWholeDocumentsWithEos) {
  Fixture f;
  TokenLoader l(f.ds, config(8), 4, 7);
  int64_t total = 0;
  for (auto n : f.lengths) total += n + 1;
  EXPECT_EQ(l.documents(), 40);
  EXPECT_EQ(l.sequences_per_epoch(), (total - 1) / 8);
  EXPECT_EQ(l.unique_tokens(), l.sequences_per_epoch() * 8);
  std::vector<int64_t> s = stream_of(l);
  EXPECT_EQ(static_cast<int64_t>(s.size()), l.unique_tokens() + 1);
  // Every complete document in the stream is one of ours, each at most once, and
  // together they are all documents but (at most) the one cut at the end.
  std::set<int64_t> seen;
  for (const auto& doc : documents_of(s)) {
    int64_t d = doc[0];
    ASSERT_LT(d, 40);
    EXPECT_EQ(doc, synthetic_document(d, f.lengths[d]));
    EXPECT_TRUE(seen.insert(d).second);
  }
  EXPECT_GE(seen.size(), 39u);
}

TEST(TokenLoader, BudgetsAreNestedPrefixes) {
  Fixture f;
  std::vector<int64_t> prev;
  for (int64_t U : {40, 100, 250, 600, 0}) {
    TokenLoader l(f.ds, config(4, U), 4, 7);
    std::vector<int64_t> s = stream_of(l);
    if (U > 0) {  // exact: floor(U / T) windows, so U - T < U_eff <= U
      EXPECT_EQ(l.unique_tokens(), U / 4 * 4) << U;
      EXPECT_EQ(s.size(), static_cast<size_t>(U / 4 * 4 + 1)) << U;
    }
    ASSERT_GE(s.size(), prev.size());
    EXPECT_TRUE(std::equal(prev.begin(), prev.end(), s.begin())) << "U=" << U;
    prev = s;
  }
}

TEST(TokenLoader, RunSeedsShareTheSubsetAndSubsetSeedChangesIt) {
  Fixture f;
  DataConfig c = config(8, 250);
  // One epoch of batches from two run seeds: different orders, same token multiset.
  auto epoch_tokens = [&](int64_t seed, const DataConfig& dc) {
    TokenLoader l(f.ds, dc, 1, seed);
    std::vector<int64_t> all;
    for (int64_t i = 0; i < l.sequences_per_epoch(); ++i) {
      torch::Tensor b = l.next_batch();  // (1, T+1)
      for (int64_t j = 0; j < 8; ++j) all.push_back(b[0][j].item<int64_t>());  // each window's own T
    }
    std::sort(all.begin(), all.end());
    return all;
  };
  TokenLoader a(f.ds, c, 1, 7), b(f.ds, c, 1, 99);
  EXPECT_EQ(a.unique_tokens(), 248);  // requested 250: within one sequence
  EXPECT_EQ(a.subset_hash(), b.subset_hash());
  EXPECT_EQ(epoch_tokens(7, c), epoch_tokens(99, c));
  DataConfig other = c;
  other.subset_seed = 5;
  TokenLoader d(f.ds, other, 1, 7);
  EXPECT_NE(d.subset_hash(), a.subset_hash());
  EXPECT_NE(epoch_tokens(7, other), epoch_tokens(7, c));
  EXPECT_THROW(TokenLoader(f.ds, config(8, 5), 1, 7), UsageError);  // below one sequence
}

TEST(TokenLoader, CursorFromBeforeExactBudgetsIsRefusedClearly) {
  auto old = nlohmann::json::parse(
      R"({"samples": 64, "seed": 7, "seq_len": 8, "unique_tokens": 320, "sequences_per_epoch": 40, "shuffle": "epoch"})");
  try {
    DataCursor::from_json(old);
    FAIL() << "an old cursor was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("before exact unique-token budgets"), std::string::npos) << e.what();
  }
}

TEST(TokenLoader, BudgetBeyondCorpusSaysHowManyTokensExist) {
  Fixture f;
  int64_t total = 0;
  for (auto n : f.lengths) total += n + 1;
  try {
    TokenLoader l(f.ds, config(4, total + 1), 4, 7);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(total) + " tokens"), std::string::npos)
        << e.what();
  }
  TokenLoader exact(f.ds, config(4, total), 4, 7);  // the whole split is allowed
  EXPECT_EQ(exact.documents(), 40);
}

TEST(TokenLoader, EpochAccountingIsExact) {
  Fixture f;
  TokenLoader l(f.ds, config(8), 6, 7);
  const int64_t N = l.sequences_per_epoch();
  EXPECT_DOUBLE_EQ(l.epoch_at(N), 1.0);
  EXPECT_DOUBLE_EQ(l.epoch_at(3 * N), 3.0);
  int64_t steps = (2 * N) / 6 + 1;  // past two epochs, ending mid-epoch
  for (int64_t i = 0; i < steps; ++i) l.next_batch();
  EXPECT_EQ(l.samples(), steps * 6);
  EXPECT_EQ(l.tokens_seen(), steps * 6 * 8);
  EXPECT_DOUBLE_EQ(l.epoch(), static_cast<double>(l.tokens_seen()) / l.unique_tokens());
  EXPECT_EQ(l.epochs_completed(), 2);
  EXPECT_GT(l.epoch(), 2.0);
  EXPECT_LT(l.epoch(), 3.0);
}

TEST(TokenLoader, EachEpochIsAFreshPermutation) {
  Fixture f;
  TokenLoader a(f.ds, config(8), 4, 7), b(f.ds, config(8), 4, 7), c(f.ds, config(8), 4, 8);
  const int64_t N = a.sequences_per_epoch();
  std::vector<std::vector<int64_t>> epochs(3);
  bool differs_by_seed = false;
  for (int64_t e = 0; e < 3; ++e)
    for (int64_t p = 0; p < N; ++p) {
      int64_t s = e * N + p;
      epochs[e].push_back(a.sequence_at(s));
      EXPECT_EQ(a.sequence_at(s), b.sequence_at(s));
      differs_by_seed |= a.sequence_at(s) != c.sequence_at(s);
    }
  for (auto& ep : epochs) {
    std::vector<int64_t> sorted = ep;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < N; ++i) ASSERT_EQ(sorted[i], i);
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  EXPECT_TRUE(differs_by_seed);
}

TEST(TokenLoader, GlobalShuffleCoversEveryEpochCopy) {
  Fixture f;
  TokenLoader probe(f.ds, config(8), 4, 7);
  const int64_t N = probe.sequences_per_epoch(), E = 3;
  TokenLoader g(f.ds, config(8, 0, "global"), 4, 7, 0, 1, E * N);
  std::map<int64_t, int> count;
  bool crosses = false;  // some sequence repeats within the first N samples
  std::set<int64_t> first;
  for (int64_t s = 0; s < E * N; ++s) {
    count[g.sequence_at(s)]++;
    if (s < N) crosses |= !first.insert(g.sequence_at(s)).second;
  }
  ASSERT_EQ(static_cast<int64_t>(count.size()), N);
  for (auto& [seq, n] : count) EXPECT_EQ(n, E) << seq;
  EXPECT_TRUE(crosses);  // unlike epoch shuffling (a 1-in-N! chance of failing otherwise)
  EXPECT_THROW(TokenLoader(f.ds, config(8, 0, "global"), 4, 7), UsageError);
}

TEST(TokenLoader, DataParallelShardsAreDisjointAndComplete) {
  Fixture f;
  const int64_t B = 12;
  for (int world = 1; world <= 4; ++world) {
    if (B % world) continue;
    TokenLoader ref(f.ds, config(8), B, 7);
    std::vector<std::unique_ptr<TokenLoader>> ranks;
    for (int r = 0; r < world; ++r)
      ranks.push_back(std::make_unique<TokenLoader>(f.ds, config(8), B, 7, r, world));
    for (int step = 0; step < 25; ++step) {  // crosses several epoch boundaries
      std::vector<torch::Tensor> parts;
      for (auto& l : ranks) parts.push_back(l->next_batch());
      EXPECT_EQ(parts[0].sizes(), (std::vector<int64_t>{B / world, 9}));
      ASSERT_TRUE(torch::equal(torch::cat(parts), ref.next_batch())) << world << " " << step;
    }
  }
  EXPECT_THROW(TokenLoader(f.ds, config(8), 10, 7, 0, 4), UsageError);
}

TEST(TokenLoader, CursorResumeReproducesTheNextBatches) {
  Fixture f;
  for (std::string shuffle : {"epoch", "global"}) {
    TokenLoader a(f.ds, config(8, 0, shuffle), 6, 7, 1, 2, 600);
    for (int i = 0; i < 13; ++i) a.next_batch();
    std::string saved = a.cursor().to_json().dump();
    TokenLoader b(f.ds, config(8, 0, shuffle), 6, 7, 1, 2, 600);
    b.restore(DataCursor::from_json(nlohmann::json::parse(saved)));
    EXPECT_EQ(b.samples(), a.samples());
    EXPECT_DOUBLE_EQ(b.epoch(), a.epoch());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(torch::equal(a.next_batch(), b.next_batch())) << i;
  }
  TokenLoader a(f.ds, config(8), 6, 7);
  TokenLoader other(f.ds, config(8, 100), 6, 7);
  EXPECT_THROW(other.restore(a.cursor()), Error);
  EXPECT_THROW(DataCursor::from_json(nlohmann::json::parse(R"({"samples": 3})")), Error);
}

TEST(TokenLoader, PrefetchHandsOutTheSameBatchesAsDirectReads) {
  // The outside truth: batches assembled here from sequence_at/sequence, and a
  // loader that reads each batch in next_batch (prefetch off).
  Fixture f;
  for (std::string shuffle : {"epoch", "global"}) {
    const int64_t total = 6 * 40;
    TokenLoader pre(f.ds, config(8, 0, shuffle), 6, 7, 1, 2, total);
    TokenLoader direct(f.ds, config(8, 0, shuffle), 6, 7, 1, 2, total);
    TokenLoader probe(f.ds, config(8, 0, shuffle), 6, 7, 1, 2, total);
    pre.set_prefetch(true);
    direct.set_prefetch(false);
    for (int i = 0; i < 40; ++i) {
      if (i == 17) {  // a resume mid-way drops the batch read ahead
        DataCursor c = pre.cursor();
        c.samples = 6 * 5;
        pre.restore(c);
        direct.restore(c);
      }
      const int64_t first = pre.samples() + 1 * 3;  // rank 1 of 2 takes rows 3..5
      torch::Tensor got = pre.next_batch();
      ASSERT_TRUE(torch::equal(got, direct.next_batch())) << shuffle << " batch " << i;
      for (int64_t j = 0; j < 3; ++j)
        ASSERT_TRUE(torch::equal(got[j], probe.sequence(probe.sequence_at(first + j))))
            << shuffle << " batch " << i << " row " << j;
    }
    EXPECT_EQ(pre.samples(), direct.samples());
  }
  TokenLoader l(f.ds, config(8), 2, 7);
  if (!torch::cuda::is_available()) EXPECT_THROW(l.set_pin_memory(true), Error);
}

TEST(Validation, FixedWindowsInFileOrder) {
  Fixture f;  // val documents of 30, 5, 20 tokens -> stream of 58 tokens
  auto all = validation_batches(f.ds, 8, 0, 3);
  // (58 - 1) / 8 = 7 windows -> batches of 3, 3, 1
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].sizes(), (std::vector<int64_t>{3, 9}));
  EXPECT_EQ(all[2].sizes(), (std::vector<int64_t>{1, 9}));
  std::vector<int64_t> expect;
  for (int64_t d = 0; d < 3; ++d) {
    for (int32_t t : synthetic_document(d, std::vector<int64_t>{30, 5, 20}[d])) expect.push_back(t);
    expect.push_back(kEos);
  }
  torch::Tensor rows = torch::cat(all);
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 9; ++j) ASSERT_EQ(rows[i][j].item<int64_t>(), expect[i * 8 + j]);
  // val_tokens caps the windows; the result is identical on every call.
  auto capped = validation_batches(f.ds, 8, 16, 3);
  ASSERT_EQ(capped.size(), 1u);
  EXPECT_TRUE(torch::equal(capped[0], all[0].slice(0, 0, 2)));
  EXPECT_TRUE(torch::equal(torch::cat(validation_batches(f.ds, 8, 0, 3)), rows));
  // Two ranks split the batches.
  auto r0 = validation_batches(f.ds, 8, 0, 3, 0, 2), r1 = validation_batches(f.ds, 8, 0, 3, 1, 2);
  EXPECT_EQ(r0.size(), 2u);
  EXPECT_EQ(r1.size(), 1u);
  EXPECT_TRUE(torch::equal(r1[0], all[1]));
  EXPECT_THROW(validation_batches(f.ds, 100, 0, 3), Error);
  // spread: 3 of the 7 windows, floor(k * 7 / 3) = 0, 2, 4: the last one
  // (stream 32..40) reaches the third document (from 37), which the first 3
  // windows (stream 0..24) never see.
  auto spread = validation_batches(f.ds, 8, 24, 3, 0, 1, /*spread=*/true);
  ASSERT_EQ(spread.size(), 1u);
  ASSERT_EQ(spread[0].size(0), 3);
  for (int64_t k : {0, 1, 2})
    EXPECT_TRUE(torch::equal(spread[0][k], rows[k * 7 / 3])) << "window " << k;
  EXPECT_EQ(spread[0][2][8].item<int64_t>(), expect[40]);
  // All windows requested: spread and first are the same set.
  EXPECT_TRUE(torch::equal(torch::cat(validation_batches(f.ds, 8, 0, 3, 0, 1, true)), rows));
}

}  // namespace
}  // namespace crossover
