// dataset.h — a prepared dataset opened for training: its meta.json (tokenizer,
// special ids, counts, checksums) and the train / validation token files.
//
// data.path may name
//   DIR            written by `crossover data prepare --out DIR`:
//                  DIR/train.{bin,idx}, DIR/val.{bin,idx}, DIR/meta.json
//   PREFIX         a Megatron indexed dataset PREFIX.{bin,idx}; meta from
//                  PREFIX.json, else meta.json in its directory; validation from
//                  data.val_path, else PREFIX_val when it exists
//   FILE.bin       nanoGPT raw uint16 tokens (documents split at eos_id); meta as
//                  for PREFIX (FILE.json or meta.json); validation from data.val_path
// meta.json is the only required key set for foreign data: tokenizer.name,
// tokenizer.vocab_size and tokenizer.{eos,bos,pad,mask}_id.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "crossover/config/config.h"
#include "crossover/data/indexed_dataset.h"
#include "crossover/data/tokenizer.h"

namespace crossover {

struct DatasetMeta {
  std::string tokenizer;        // "byte" | "sentencepiece"
  std::string tokenizer_model;  // absolute path of the .model ("" for byte)
  int64_t vocab_size = 0;       // includes every special id
  int32_t eos_id = -1, bos_id = -1, pad_id = -1, mask_id = -1;
  nlohmann::json json;          // the whole meta.json
};

// Reads and checks a meta.json; relative tokenizer paths resolve against its directory.
DatasetMeta read_dataset_meta(const std::string& meta_path);

struct PreparedDataset {
  DatasetMeta meta;
  std::string meta_path;
  std::shared_ptr<IndexedDataset> train;
  std::shared_ptr<IndexedDataset> val;  // null when the dataset has no validation split

  // Opens (see above). verify: compare file checksums with meta.json and scan
  // every token id against the vocabulary (one pass over the data).
  static PreparedDataset open(const std::string& path, const std::string& val_path = "",
                              bool verify = true);
  static PreparedDataset open(const DataConfig& c) { return open(c.path, c.val_path); }
};

// The tokenizer a dataset was prepared with; checks its ids against the meta.
std::unique_ptr<Tokenizer> load_tokenizer(const DatasetMeta& meta);

}  // namespace crossover
