// packed_stream.h — documents of a token file laid end to end with an EOS after
// each (doc0 EOS doc1 EOS ...), read by offset without materialising the
// stream: 8 bytes per document in memory, tokens come from the mmap.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "crossover/data/indexed_dataset.h"

namespace crossover {

class PackedStream {
 public:
  // docs: document indices in stream order.
  PackedStream(std::shared_ptr<IndexedDataset> data, std::vector<int64_t> docs, int32_t eos_id);

  int64_t length() const { return offset_.back(); }  // tokens, EOS included
  int64_t num_documents() const { return static_cast<int64_t>(docs_.size()); }
  // stream[start, start + n) into out; requires start + n <= length().
  void copy(int64_t start, int64_t n, int64_t* out) const;

 private:
  std::shared_ptr<IndexedDataset> data_;
  std::vector<int64_t> docs_;
  std::vector<int64_t> offset_;  // stream offset of each document's first token, then the end
  int32_t eos_id_;
};

}  // namespace crossover
