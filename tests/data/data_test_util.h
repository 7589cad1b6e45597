// data_test_util.h — small synthetic datasets for the data tests: documents of
// known tokens written with IndexedDatasetWriter plus a byte-tokenizer meta.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crossover::testing {

// Document d of length n has tokens (d * 7 + i) % 200 + 1 ... except that the
// first token of every document is d % 250 so documents are recognisable.
std::vector<int32_t> synthetic_document(int64_t d, int64_t n);

// Writes DIR/train.{bin,idx} (documents of the given lengths), DIR/val.{bin,idx}
// (val_lengths) and a byte-tokenizer DIR/meta.json without checksums.
void write_synthetic_dataset(const std::string& dir, const std::vector<int64_t>& train_lengths,
                             const std::vector<int64_t>& val_lengths);

}  // namespace crossover::testing
