// indexed_dataset.h — token storage on disk: the Megatron-LM indexed dataset
// (`.bin` + `.idx`, "MMIDIDX") written and read through mmap, and nanoGPT's raw
// uint16 `.bin` read as a stream of EOS-separated documents.
//
// `.idx` layout (little-endian, as megatron/core/datasets/indexed_dataset.py
// _IndexWriter writes it):
//   9 bytes  "MMIDIDX\x00\x00"
//   u64      version = 1
//   u8       dtype code (4 = int32, 8 = uint16; the Megatron DType enum)
//   u64      sequence count S
//   u64      document count D+1 (length of doc_idx, which starts with 0)
//   i32[S]   sequence lengths (tokens)
//   i64[S]   sequence pointers (byte offsets into .bin)
//   i64[D+1] doc_idx: document d spans sequences [doc_idx[d], doc_idx[d+1])
// `.bin` is every sequence's tokens back to back. crossover writes one sequence
// per document (no EOS inside .bin; the loader inserts EOS when packing).
// This file is not a loader: it knows documents and tokens, not batches.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace crossover {

// Megatron DType codes; uint16 when vocab < 65500 (Megatron's optimal_dtype).
enum class TokenDtype : uint8_t { kInt32 = 4, kUInt16 = 8 };
TokenDtype token_dtype_for_vocab(int64_t vocab_size);
int64_t token_dtype_size(TokenDtype d);

// A read-only memory map of a whole file; unmapped when the last copy dies.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws Error if unreadable
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const unsigned char* data() const { return data_; }
  int64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const unsigned char* data_ = nullptr;
  int64_t size_ = 0;
};

// Streams documents into <prefix>.bin and writes <prefix>.idx on finish().
// Callers write into a staging directory and rename it when everything is done.
class IndexedDatasetWriter {
 public:
  IndexedDatasetWriter(const std::string& prefix, TokenDtype dtype);
  ~IndexedDatasetWriter();
  // One document = one sequence; ids must fit the dtype.
  void add_document(const std::vector<int32_t>& ids);
  void finish();
  int64_t num_documents() const { return static_cast<int64_t>(sizes_.size()); }
  int64_t num_tokens() const { return num_tokens_; }

 private:
  std::string prefix_;
  TokenDtype dtype_;
  FILE* bin_ = nullptr;
  std::vector<int32_t> sizes_;
  std::vector<uint16_t> buf16_;
  int64_t num_tokens_ = 0;
};

// The bytes of a Megatron .idx for the given sequence lengths, one sequence per
// document (exposed so tests can compare it with a hand-computed layout).
std::string megatron_index_bytes(const std::vector<int32_t>& sizes, TokenDtype dtype);

// Documents of a token file, read through mmap. Every accessor is bounds-free
// after open() has validated the file against its index.
class IndexedDataset {
 public:
  // <prefix>.bin + <prefix>.idx; validates header, version, dtype, the index
  // size, pointers against lengths and the .bin size. Throws Error naming the file.
  static std::shared_ptr<IndexedDataset> open_megatron(const std::string& prefix);
  // nanoGPT raw uint16 tokens; documents are the runs between `eos_id` tokens.
  static std::shared_ptr<IndexedDataset> open_raw_uint16(const std::string& bin_path,
                                                         int32_t eos_id);

  int64_t num_documents() const { return static_cast<int64_t>(doc_start_.size()); }
  int64_t num_tokens() const { return num_tokens_; }
  int64_t document_length(int64_t d) const { return doc_length_[d]; }
  TokenDtype dtype() const { return dtype_; }
  const std::string& path() const { return bin_->path(); }
  // Copies tokens [offset, offset + n) of document d into out (as int64).
  void read(int64_t d, int64_t offset, int64_t n, int64_t* out) const;
  std::vector<int32_t> document(int64_t d) const;
  // Index (in tokens from the start of .bin) of the first id outside
  // [0, vocab_size), or -1 when every id fits; *value gets that id.
  int64_t find_token_outside(int64_t vocab_size, int64_t* value) const;

 private:
  std::unique_ptr<MappedFile> bin_;
  TokenDtype dtype_ = TokenDtype::kUInt16;
  std::vector<int64_t> doc_start_;   // token offset of each document in .bin
  std::vector<int64_t> doc_length_;  // tokens per document
  int64_t num_tokens_ = 0;
};

}  // namespace crossover
