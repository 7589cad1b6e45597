// loader.cpp — nested budgets, epoch/global shuffles, DP shards, cursor.
#include "crossover/data/loader.h"

#include <torch/torch.h>

#include "crossover/util/check.h"
#include "crossover/util/checksum.h"
#include "crossover/util/rng.h"

namespace crossover {

nlohmann::json DataCursor::to_json() const {
  return {{"samples", samples},
          {"seed", seed},
          {"subset_seed", subset_seed},
          {"seq_len", seq_len},
          {"unique_tokens", unique_tokens},
          {"sequences_per_epoch", sequences_per_epoch},
          {"shuffle", shuffle}};
}

DataCursor DataCursor::from_json(const nlohmann::json& j) {
  DataCursor c;
  if (j.is_object() && j.contains("samples") && !j.contains("subset_seed"))
    throw Error("the checkpoint was written before exact unique-token budgets (its data subset "
                "was drawn with run.seed and rounded up to whole documents), so it cannot continue "
                "on today's data stream; hint: --overwrite to train it again");
  try {
    c.samples = j.at("samples").get<int64_t>();
    c.seed = j.at("seed").get<int64_t>();
    c.subset_seed = j.at("subset_seed").get<int64_t>();
    c.seq_len = j.at("seq_len").get<int64_t>();
    c.unique_tokens = j.at("unique_tokens").get<int64_t>();
    c.sequences_per_epoch = j.at("sequences_per_epoch").get<int64_t>();
    c.shuffle = j.at("shuffle").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(str_cat("bad data cursor in checkpoint: ", e.what(),
                        "; hint: the checkpoint's state.json is corrupt"));
  }
  return c;
}

TokenLoader::TokenLoader(const PreparedDataset& data, const DataConfig& cfg, int64_t global_batch,
                         int64_t seed, int rank, int world, int64_t total_samples)
    : seq_len_(cfg.seq_len),
      global_batch_(global_batch),
      seed_(seed),
      total_samples_(total_samples),
      rank_(rank),
      world_(world),
      shuffle_(cfg.shuffle),
      requested_(cfg.unique_tokens),
      subset_seed_(cfg.subset_seed) {
  CROSSOVER_CHECK(data.train, "dataset has no training split");
  if (world < 1 || rank < 0 || rank >= world)
    throw UsageError(str_cat("bad rank ", rank, " of world ", world));
  if (global_batch < 1 || global_batch % world != 0)
    throw UsageError(str_cat("train.batch_size=", global_batch, " must be a positive multiple of "
                             "the world size ", world));
  if (seq_len_ < 1) throw UsageError(str_cat("data.seq_len=", seq_len_, " must be >= 1"));
  const IndexedDataset& ds = *data.train;
  const int64_t n_docs = ds.num_documents();
  if (n_docs == 0) throw Error(str_cat("training split '", ds.path(), "' has no documents"));

  // One fixed document order, independent of U and of run.seed (data.subset_seed):
  // every run seed and every budget sees the same stream, cut at a different length.
  auto gen = make_generator(static_cast<uint64_t>(subset_seed_), "subset");
  torch::Tensor order = torch::randperm(n_docs, gen, torch::kLong);  // (n_docs)
  const int64_t* o = order.data_ptr<int64_t>();
  const int64_t total = ds.num_tokens() + n_docs;  // tokens + one EOS per document
  if (requested_ > total)
    throw UsageError(str_cat("data.unique_tokens=", requested_, " exceeds the training split of '",
                             ds.path(), "': it has ", total, " tokens (", ds.num_tokens(),
                             " + one EOS per each of ", n_docs, " documents); hint: lower "
                             "data.unique_tokens or prepare more data (0 = all)"));
  if (requested_ > 0 && requested_ < seq_len_)
    throw UsageError(str_cat("data.unique_tokens=", requested_, " is less than one sequence of ",
                             "data.seq_len=", seq_len_, " tokens; hint: raise data.unique_tokens"));
  // U exact to one sequence: N = floor(U / T) windows of the stream, the last
  // document cut where the budget ends (the rest of it is never trained on).
  const int64_t want_n = requested_ > 0 ? requested_ / seq_len_ : -1;
  std::vector<int64_t> docs;
  int64_t len = 0;
  for (int64_t k = 0; k < n_docs && (want_n < 0 || len < want_n * seq_len_ + 1); ++k) {
    docs.push_back(o[k]);
    len += ds.document_length(o[k]) + 1;
  }
  stream_ = std::make_unique<PackedStream>(data.train, std::move(docs), data.meta.eos_id);
  n_seq_ = (stream_->length() - 1) / seq_len_;
  if (want_n >= 0) n_seq_ = std::min(n_seq_, want_n);
  if (n_seq_ < 1)
    throw UsageError(str_cat("the selected ", stream_->length(), " tokens hold no sequence of "
                             "data.seq_len+1=", seq_len_ + 1, " tokens; hint: raise "
                             "data.unique_tokens or lower data.seq_len"));
  unique_tokens_ = n_seq_ * seq_len_;
  if (shuffle_ == Shuffle::kGlobal && total_samples_ <= 0)
    throw UsageError("data.shuffle=global needs the run's total sample count (total_samples > 0)");
}

const torch::Tensor& TokenLoader::permutation(int64_t block) {
  if (block != perm_block_) {
    if (shuffle_ == Shuffle::kEpoch) {
      perm_ = torch::randperm(n_seq_, make_generator(seed_, "shuffle", block), torch::kLong);
    } else {
      // [0..N) repeated E times, shuffled as one list (Megatron's shuffle_idx).
      int64_t epochs = (total_samples_ + n_seq_ - 1) / n_seq_;
      torch::Tensor idx = torch::arange(n_seq_, torch::kLong).repeat({epochs});  // (E*N)
      auto gen = make_generator(seed_, "shuffle_global", block);
      perm_ = idx.index_select(0, torch::randperm(epochs * n_seq_, gen, torch::kLong));
    }
    perm_block_ = block;
  }
  return perm_;
}

int64_t TokenLoader::sequence_at(int64_t sample) {
  CROSSOVER_CHECK(sample >= 0, "negative sample index ", sample);
  std::lock_guard<std::mutex> lock(*perm_mu_);
  const int64_t block_len =
      shuffle_ == Shuffle::kEpoch ? n_seq_ : (total_samples_ + n_seq_ - 1) / n_seq_ * n_seq_;
  const torch::Tensor& p = permutation(sample / block_len);
  return p.data_ptr<int64_t>()[sample % block_len];
}

torch::Tensor TokenLoader::sequence(int64_t index) const {
  CROSSOVER_CHECK(index >= 0 && index < n_seq_, "sequence ", index, " out of [0, ", n_seq_, ")");
  torch::Tensor t = torch::empty({seq_len_ + 1}, torch::kLong);  // (T+1)
  stream_->copy(index * seq_len_, seq_len_ + 1, t.data_ptr<int64_t>());
  return t;
}

std::string TokenLoader::subset_hash() const {
  // FNV-1a over the trained stream, in chunks (the stream is never materialised).
  uint64_t h = kFnv1a64Offset;
  const int64_t n = unique_tokens_ + 1, chunk = 1 << 16;
  std::vector<int64_t> buf(static_cast<size_t>(std::min(n, chunk)));
  for (int64_t at = 0; at < n; at += chunk) {
    const int64_t k = std::min(chunk, n - at);
    stream_->copy(at, k, buf.data());
    h = fnv1a64_update(h, buf.data(), static_cast<size_t>(k) * sizeof(int64_t));
  }
  return hex64(h);
}

TokenLoader::~TokenLoader() { drop_prefetched(); }

void TokenLoader::set_pin_memory(bool on) {
  CROSSOVER_CHECK(!on || torch::cuda::is_available(),
                  "pinned batches need CUDA (hint: pin memory only for CUDA runs)");
  drop_prefetched();  // a batch read before the change keeps the old kind of memory
  pin_memory_ = on;
}

void TokenLoader::set_prefetch(bool on) {
  drop_prefetched();
  prefetch_ = on;
}

void TokenLoader::drop_prefetched() {
  if (next_.valid()) next_.wait();  // an error in it is the next reader's, and there is none
  next_ = {};
}

torch::Tensor TokenLoader::read_batch(int64_t first_sample) {
  const int64_t b = global_batch_ / world_;
  auto opts = torch::TensorOptions().dtype(torch::kLong).pinned_memory(pin_memory_);
  torch::Tensor batch = torch::empty({b, seq_len_ + 1}, opts);  // (B/W, T+1)
  int64_t* out = batch.data_ptr<int64_t>();
  const int64_t first = first_sample + rank_ * b;
  for (int64_t j = 0; j < b; ++j) {
    int64_t idx = sequence_at(first + j);
    stream_->copy(idx * seq_len_, seq_len_ + 1, out + j * (seq_len_ + 1));
  }
  return batch;
}

torch::Tensor TokenLoader::next_batch() {
  torch::Tensor batch = next_.valid() ? next_.get() : read_batch(samples_);  // next_ is for samples_
  samples_ += global_batch_;
  // No read past the run's last batch (the global shuffle would build its
  // next block's permutation for nothing).
  if (prefetch_ && (total_samples_ <= 0 || samples_ < total_samples_))
    next_ = std::async(std::launch::async, [this, at = samples_] { return read_batch(at); });
  return batch;
}

DataCursor TokenLoader::cursor() const {
  return {samples_, seed_, subset_seed_, seq_len_, unique_tokens_, n_seq_, choice_name(shuffle_)};
}

void TokenLoader::restore(const DataCursor& c) {
  DataCursor mine = cursor();
  if (c.seed != mine.seed || c.subset_seed != mine.subset_seed || c.seq_len != mine.seq_len ||
      c.unique_tokens != mine.unique_tokens ||
      c.sequences_per_epoch != mine.sequences_per_epoch || c.shuffle != mine.shuffle)
    throw Error(str_cat("checkpoint data cursor (seed ", c.seed, ", subset_seed ", c.subset_seed,
                        ", seq_len ", c.seq_len,
                        ", U_eff ", c.unique_tokens, ", N ", c.sequences_per_epoch, ", shuffle ",
                        c.shuffle, ") does not match this data stream (seed ", mine.seed,
                        ", subset_seed ", mine.subset_seed,
                        ", seq_len ", mine.seq_len, ", U_eff ", mine.unique_tokens, ", N ",
                        mine.sequences_per_epoch, ", shuffle ", mine.shuffle,
                        "); hint: resume with the run's original data and config"));
  CROSSOVER_CHECK(c.samples >= 0, "negative sample count in cursor");
  drop_prefetched();
  samples_ = c.samples;
}

}  // namespace crossover
