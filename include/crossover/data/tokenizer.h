// tokenizer.h — text <-> token ids, with the special ids every objective needs:
// EOS separates documents when they are packed, BOS and PAD are reserved, and
// MASK is the [MASK] id of masked diffusion (never produced from text).
//
//   byte           ids 0..255 are the UTF-8 bytes; EOS 256, BOS 257, PAD 258,
//                  MASK 259; vocab 260. No dependency, lossless.
//   sentencepiece  a BPE model (trained on the training split by `crossover
//                  data prepare --tokenizer sentencepiece`, or an existing
//                  .model). Trained models reserve UNK 0, BOS 1, EOS 2, PAD 3
//                  and the control piece [MASK] 4, use byte fallback and the
//                  identity normaliser (whitespace kept), so decode(encode(s))
//                  == s. Specials a loaded model lacks get ids after its pieces.
// The factory that builds the tokenizer named in a dataset's meta.json is
// load_tokenizer() in data/dataset.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace crossover {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string name() const = 0;  // "byte" | "sentencepiece"
  virtual std::vector<int32_t> encode(const std::string& text) const = 0;
  // Special ids are dropped when skip_special, else written as <|eos|>, <|bos|>,
  // <|pad|>, [MASK].
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special = true) const = 0;

  int64_t vocab_size() const { return vocab_size_; }
  int32_t eos_id() const { return eos_id_; }
  int32_t bos_id() const { return bos_id_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t mask_id() const { return mask_id_; }
  bool is_special(int32_t id) const {
    return id == eos_id_ || id == bos_id_ || id == pad_id_ || id == mask_id_;
  }

 protected:
  std::string special_text(int32_t id) const;
  int64_t vocab_size_ = 0;
  int32_t eos_id_ = -1, bos_id_ = -1, pad_id_ = -1, mask_id_ = -1;
};

std::unique_ptr<Tokenizer> make_byte_tokenizer();

// Loads a SentencePiece .model file; throws Error naming the file.
std::unique_ptr<Tokenizer> load_sentencepiece_tokenizer(const std::string& model_path);

// Trains a BPE model on `texts` (documents; split into lines for training) and
// writes it to model_path. vocab_size counts every piece (specials, 256 byte
// fallbacks included); deterministic for the same texts and settings.
std::unique_ptr<Tokenizer> train_sentencepiece_tokenizer(const std::vector<std::string>& texts,
                                                         int64_t vocab_size,
                                                         const std::string& model_path,
                                                         int threads = 1);

}  // namespace crossover
