#include "data_test_util.h"

#include <fstream>

#include "crossover/data/indexed_dataset.h"
#include "test_util.h"

namespace crossover::testing {

std::vector<int32_t> synthetic_document(int64_t d, int64_t n) {
  std::vector<int32_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>((d * 7 + i) % 200 + 1);
  if (n > 0) ids[0] = static_cast<int32_t>(d % 250);
  return ids;
}

void write_synthetic_dataset(const std::string& dir, const std::vector<int64_t>& train_lengths,
                             const std::vector<int64_t>& val_lengths) {
  std::filesystem::create_directories(dir);
  for (auto [name, lengths] : {std::make_pair("train", train_lengths),
                               std::make_pair("val", val_lengths)}) {
    IndexedDatasetWriter w(dir + "/" + name, TokenDtype::kUInt16);
    for (size_t d = 0; d < lengths.size(); ++d) w.add_document(synthetic_document(d, lengths[d]));
    w.finish();
  }
  write_file(dir + "/meta.json",
             R"({"tokenizer": {"name": "byte", "model": "", "vocab_size": 260, "eos_id": 256,
                 "bos_id": 257, "pad_id": 258, "mask_id": 259}})");
}

}  // namespace crossover::testing
