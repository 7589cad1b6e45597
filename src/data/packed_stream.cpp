// packed_stream.cpp — documents laid end to end with EOS separators, cut into windows (packed_stream.h).
#include "crossover/data/packed_stream.h"

#include <algorithm>

#include "crossover/util/check.h"

namespace crossover {

PackedStream::PackedStream(std::shared_ptr<IndexedDataset> data, std::vector<int64_t> docs,
                           int32_t eos_id)
    : data_(std::move(data)), docs_(std::move(docs)), eos_id_(eos_id) {
  offset_.reserve(docs_.size() + 1);
  int64_t pos = 0;
  for (int64_t d : docs_) {
    offset_.push_back(pos);
    pos += data_->document_length(d) + 1;  // + EOS
  }
  offset_.push_back(pos);
}

void PackedStream::copy(int64_t start, int64_t n, int64_t* out) const {
  CROSSOVER_CHECK(start >= 0 && start + n <= length(), "stream read [", start, ", ", start + n,
                  ") past its end ", length());
  // The document holding `start`: last offset <= start.
  size_t k = std::upper_bound(offset_.begin(), offset_.end(), start) - offset_.begin() - 1;
  while (n > 0) {
    int64_t in_doc = start - offset_[k];
    int64_t len = data_->document_length(docs_[k]);
    if (in_doc < len) {
      int64_t m = std::min(n, len - in_doc);
      data_->read(docs_[k], in_doc, m, out);
      out += m;
      start += m;
      n -= m;
    } else {  // the EOS after document k
      *out++ = eos_id_;
      ++start;
      --n;
      ++k;
    }
  }
}

}  // namespace crossover
