// tokenizer.cpp — byte-level and SentencePiece tokenizers.
#include "crossover/data/tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <unordered_map>

#include "crossover/util/check.h"

namespace crossover {

std::string Tokenizer::special_text(int32_t id) const {
  if (id == eos_id_) return "<|eos|>";
  if (id == bos_id_) return "<|bos|>";
  if (id == pad_id_) return "<|pad|>";
  return "[MASK]";
}

// ---- byte ------------------------------------------------------------------

namespace {

class ByteTokenizer : public Tokenizer {
 public:
  ByteTokenizer() {
    eos_id_ = 256;
    bos_id_ = 257;
    pad_id_ = 258;
    mask_id_ = 259;
    vocab_size_ = 260;
  }
  std::string name() const override { return "byte"; }
  std::vector<int32_t> encode(const std::string& text) const override {
    std::vector<int32_t> ids(text.size());
    for (size_t i = 0; i < text.size(); ++i) ids[i] = static_cast<unsigned char>(text[i]);
    return ids;
  }
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override {
    std::string s;
    s.reserve(ids.size());
    for (int32_t id : ids) {
      if (id >= 0 && id < 256) {
        s.push_back(static_cast<char>(id));
      } else if (!skip_special) {
        s += is_special(id) ? special_text(id) : "<|unk|>";
      }
    }
    return s;
  }
};

// ---- sentencepiece ---------------------------------------------------------

class SentencePieceTokenizer : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::string& model_path) {
    auto st = sp_.Load(model_path);
    if (!st.ok())
      throw Error(str_cat("cannot load SentencePiece model '", model_path, "': ", st.ToString(),
                          "; hint: pass a .model file written by spm_train or `crossover data "
                          "prepare`"));
    int32_t next = sp_.GetPieceSize();
    auto own_or_next = [&](int32_t id) { return id >= 0 ? id : next++; };
    eos_id_ = own_or_next(sp_.eos_id());
    bos_id_ = own_or_next(sp_.bos_id());
    pad_id_ = own_or_next(sp_.pad_id());
    int32_t mask = sp_.PieceToId("[MASK]");
    mask_id_ = (mask >= 0 && mask != sp_.unk_id() && sp_.IsControl(mask)) ? mask : next++;
    vocab_size_ = next;
  }
  std::string name() const override { return "sentencepiece"; }
  std::vector<int32_t> encode(const std::string& text) const override {
    std::vector<int> ids;
    auto st = sp_.Encode(text, &ids);
    CROSSOVER_CHECK(st.ok(), "SentencePiece encode failed: ", st.ToString());
    return std::vector<int32_t>(ids.begin(), ids.end());
  }
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override {
    // Decode runs of ordinary pieces; specials (and ids past the model's own
    // pieces) are dropped or written by name.
    std::string out;
    std::vector<int> run;
    auto flush = [&] {
      if (run.empty()) return;
      std::string s;
      auto st = sp_.Decode(run, &s);
      CROSSOVER_CHECK(st.ok(), "SentencePiece decode failed: ", st.ToString());
      out += s;
      run.clear();
    };
    for (int32_t id : ids) {
      if (is_special(id) || id < 0 || id >= sp_.GetPieceSize()) {
        flush();
        if (!skip_special) out += is_special(id) ? special_text(id) : "<|unk|>";
      } else {
        run.push_back(id);
      }
    }
    flush();
    return out;
  }

 private:
  sentencepiece::SentencePieceProcessor sp_;
};

// Feeds every line of every document to the trainer (SentencePiece trains on
// sentences; newlines are encoded through byte fallback).
class LineIterator : public sentencepiece::SentenceIterator {
 public:
  explicit LineIterator(const std::vector<std::string>& texts) : texts_(texts) { advance(); }
  bool done() const override { return doc_ >= texts_.size(); }
  void Next() override { advance(); }
  const std::string& value() const override { return line_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void advance() {
    while (doc_ < texts_.size()) {
      const std::string& t = texts_[doc_];
      if (pos_ >= t.size()) {
        ++doc_;
        pos_ = 0;
        continue;
      }
      size_t nl = t.find('\n', pos_);
      if (nl == std::string::npos) nl = t.size();
      line_ = t.substr(pos_, nl - pos_);
      pos_ = nl + 1;
      if (!line_.empty()) return;
    }
  }
  const std::vector<std::string>& texts_;
  size_t doc_ = 0, pos_ = 0;
  std::string line_;
};

}  // namespace

std::unique_ptr<Tokenizer> make_byte_tokenizer() { return std::make_unique<ByteTokenizer>(); }

std::unique_ptr<Tokenizer> load_sentencepiece_tokenizer(const std::string& model_path) {
  return std::make_unique<SentencePieceTokenizer>(model_path);
}

std::unique_ptr<Tokenizer> train_sentencepiece_tokenizer(const std::vector<std::string>& texts,
                                                         int64_t vocab_size,
                                                         const std::string& model_path,
                                                         int threads) {
  if (vocab_size < 300)
    throw UsageError(str_cat("--vocab-size ", vocab_size, " is too small for SentencePiece with "
                             "byte fallback; hint: use at least 300 (256 bytes + specials)"));
  std::string prefix = model_path.substr(0, model_path.size() - std::string(".model").size());
  CROSSOVER_CHECK(str_ends_with(model_path, ".model"), "model path must end in .model: ",
                  model_path);
  std::unordered_map<std::string, std::string> kw = {
      {"model_prefix", prefix},
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(vocab_size)},
      {"byte_fallback", "true"},
      {"character_coverage", "0.9995"},
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"add_dummy_prefix", "false"},
      {"allow_whitespace_only_pieces", "true"},
      {"split_digits", "true"},
      {"max_sentence_length", "8192"},
      {"input_sentence_size", "2000000"},
      {"shuffle_input_sentence", "false"},
      {"unk_id", "0"},
      {"bos_id", "1"},
      {"eos_id", "2"},
      {"pad_id", "3"},
      {"control_symbols", "[MASK]"},
      {"hard_vocab_limit", "false"},
      {"num_threads", std::to_string(std::max(1, threads))},
      {"minloglevel", "2"},
  };
  LineIterator it(texts);
  if (it.done())
    throw UsageError("cannot train a SentencePiece model on an empty training split");
  auto st = sentencepiece::SentencePieceTrainer::Train(kw, &it);
  if (!st.ok())
    throw Error(str_cat("SentencePiece training failed: ", st.ToString(),
                        "; hint: a smaller --vocab-size suits a small corpus"));
  return load_sentencepiece_tokenizer(model_path);
}

}  // namespace crossover
