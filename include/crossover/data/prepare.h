// prepare.h — `crossover data prepare`: sources -> documents -> train/val split
// by document -> tokenizer -> Megatron .bin/.idx + meta.json in one directory.
//
// Steps (all deterministic for a given seed and inputs):
//   1. read every source (sources.h); documents keep their source index;
//   2. hold out validation documents: a permutation of all documents seeded by
//      make_generator(seed, "val_split"); its first n_val become validation,
//      n_val = --val-docs, or round(val_fraction * n) (at least 1 when the
//      fraction is > 0 and there are >= 2 documents). Validation documents never
//      enter the training split, so no training budget can contain them;
//   3. apply source weights to the training documents (sources.h);
//   4. render: quality tiers transform training documents, validation documents
//      of a tier are its clean (high) text (quality.h);
//   5. tokenizer: byte, or SentencePiece trained on the rendered training split
//      (written to DIR/tokenizer.model), or an existing .model;
//   6. write train.{bin,idx}, val.{bin,idx}, meta.json into DIR.tmp-<pid>, then
//      rename to DIR; on any error the staging directory is removed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crossover/data/sources.h"

namespace crossover {

struct PrepareOptions {
  std::vector<SourceSpec> sources;
  std::string out;                       // output directory
  std::string tokenizer = "byte";        // byte | sentencepiece
  std::string tokenizer_model;           // existing .model (sentencepiece) or ""
  int64_t vocab_size = 4096;             // sentencepiece training
  double val_fraction = 0.05;
  int64_t val_docs = -1;                 // >= 0 overrides val_fraction
  int64_t seed = 1234;
  bool force = false;                    // replace an existing DIR
  int threads = 1;                       // sentencepiece training and encoding threads
};

struct PrepareReport {
  int64_t documents = 0, train_documents = 0, val_documents = 0;
  int64_t train_tokens = 0, val_tokens = 0;  // without EOS separators
  int64_t text_bytes = 0;                    // rendered text bytes tokenized
  int64_t vocab_size = 0;
  double seconds_read = 0, seconds_tokenizer = 0, seconds_encode = 0, seconds_total = 0;
};

PrepareReport prepare_dataset(const PrepareOptions& opt);

}  // namespace crossover
