// loader.h — the training batch stream: nested unique-token budgets, packing,
// epochs, data-parallel sharding and an exact resume cursor.
//
// Unique tokens (data.unique_tokens = U). The training documents are put in
// one order by a permutation seeded with make_generator(data.subset_seed,
// "subset"), which depends on neither U nor run.seed: run seeds vary the
// initialisation, the data order and the masks, never which tokens are the
// budget. The documents are packed in that order, doc0 EOS doc1 EOS ..., and
// the budget is the first N*T+1 tokens of that stream with N = floor(U / T):
// exact to one sequence (U - T < U_effective = N*T <= U), the last document cut
// where the budget ends. Every smaller budget is a prefix of every larger one.
// U = 0 takes every document (N = (L - 1) / T); U beyond the split, or below
// one sequence, is an error that says how many tokens exist.
//
// Packing. Sequence i is stream[i*T, i*T + T + 1) (T+1 tokens so AR can
// shift; windows overlap by one token). Tokens seen = samples * T, so
// epoch = tokens / U_eff = samples / N exactly.
//
// Order. Global sample s (sequences taken by all ranks together):
//   shuffle: epoch   epoch e = s / N, p = s % N, sequence = perm_e[p] with
//                    perm_e = randperm(N, make_generator(seed, "shuffle", e)).
//   shuffle: global  like Megatron's shuffle_idx: one permutation of the
//                    concatenated index list [0..N) x E (E = ceil(total_samples
//                    / N) epochs), seeded make_generator(seed, "shuffle_global",
//                    block); sample s is entry s % (E*N) of block s / (E*N).
//                    Unlike Megatron, documents are packed once (windows are the
//                    same every epoch); only the window order is global.
//                    Needs total_samples > 0; memory 8*E*N bytes.
// A global batch is samples [c, c + B); rank r of W takes rows [r*B/W,
// (r+1)*B/W) of it, so shards are disjoint and together complete, and batches
// run across epoch boundaries.
//
// Prefetch (CUDA runs; off by default). While the caller trains on batch k, a
// worker thread already reads batch k+1 (the same rows: samples, cursor and
// restore() count only batches handed out), so the mmap reads and the shuffle
// overlap the GPU step. It starts one std::async thread per batch (~0.5 ms of
// thread start-up on this CPU: `crossover data bench` fell from ~1900 to ~30
// M tokens/s), nothing next to a GPU step but a loss for a CPU run, whose step
// uses every core anyway; hence CPU runs read in next_batch as before. With
// pin_memory (CUDA runs) batches live in page-locked host memory, so the
// trainer's non_blocking copy to the GPU is a real asynchronous DMA.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crossover/config/config.h"
#include "crossover/data/dataset.h"
#include "crossover/data/packed_stream.h"

namespace crossover {

// Where the stream stands: restore() reproduces exactly the batches that would
// have followed. The other fields identify the stream; restore() refuses a
// cursor from a different one.
struct DataCursor {
  int64_t samples = 0;              // global sequences consumed (all ranks)
  int64_t seed = 0;                 // run.seed: the window order
  int64_t subset_seed = 0;          // data.subset_seed: which documents are the budget
  int64_t seq_len = 0;
  int64_t unique_tokens = 0;        // U_effective
  int64_t sequences_per_epoch = 0;  // N
  std::string shuffle = "epoch";

  nlohmann::json to_json() const;
  // Throws Error on missing keys, and a clear refusal for a cursor written
  // before exact budgets (no subset_seed): that stream no longer exists.
  static DataCursor from_json(const nlohmann::json& j);
};

class TokenLoader {
 public:
  // total_samples: sequences the run will take (train.total_tokens / T,
  // rounded up to whole batches); required only for shuffle: global.
  TokenLoader(const PreparedDataset& data, const DataConfig& cfg, int64_t global_batch,
              int64_t seed, int rank = 0, int world = 1, int64_t total_samples = 0);

  ~TokenLoader();
  TokenLoader(const TokenLoader&) = delete;  // the prefetch worker holds `this`
  TokenLoader& operator=(const TokenLoader&) = delete;

  // This rank's rows of the next global batch: (B/W, T+1) int64.
  torch::Tensor next_batch();
  // Page-locked batches (needs CUDA; the trainer turns it on for CUDA runs).
  void set_pin_memory(bool on);
  // Read the next batch on a worker thread while the caller uses this one
  // (default off = each batch read in next_batch; the trainer turns it on for CUDA).
  void set_prefetch(bool on);
  DataCursor cursor() const;
  void restore(const DataCursor& c);

  // The sequence index (0..N-1) of global sample s, and a sequence's tokens (T+1).
  int64_t sequence_at(int64_t sample);
  torch::Tensor sequence(int64_t index) const;

  int64_t unique_tokens() const { return unique_tokens_; }      // U_effective = N*T
  int64_t requested_unique_tokens() const { return requested_; }  // data.unique_tokens
  // FNV-1a 64 (hex) of the trained stream's N*T+1 tokens: equal for every run
  // that trains on the same unique tokens, whatever its run.seed.
  std::string subset_hash() const;
  int64_t sequences_per_epoch() const { return n_seq_; }        // N
  int64_t documents() const { return stream_->num_documents(); }
  int64_t seq_len() const { return seq_len_; }
  int64_t global_batch() const { return global_batch_; }
  int64_t local_batch() const { return global_batch_ / world_; }
  int64_t samples() const { return samples_; }
  int64_t tokens_seen() const { return samples_ * seq_len_; }  // all ranks
  double epoch() const { return epoch_at(samples_); }          // tokens_seen / U_eff
  double epoch_at(int64_t samples) const {
    return static_cast<double>(samples) / static_cast<double>(n_seq_);
  }
  int64_t epochs_completed() const { return samples_ / n_seq_; }

 private:
  const torch::Tensor& permutation(int64_t block);
  torch::Tensor read_batch(int64_t first_sample);  // this rank's rows of the batch at that sample
  void drop_prefetched();

  std::unique_ptr<PackedStream> stream_;
  int64_t seq_len_, global_batch_, seed_, total_samples_;
  int rank_, world_;
  Shuffle shuffle_;
  int64_t requested_ = 0, subset_seed_ = 0, unique_tokens_ = 0, n_seq_ = 0;
  int64_t samples_ = 0;
  int64_t perm_block_ = -1;          // which epoch (or global block) perm_ holds
  torch::Tensor perm_;               // (N) or (E*N) int64
  std::unique_ptr<std::mutex> perm_mu_ = std::make_unique<std::mutex>();  // perm_ is shared with the worker
  bool pin_memory_ = false, prefetch_ = false;
  std::future<torch::Tensor> next_;  // the batch at samples_, being read
};

}  // namespace crossover
