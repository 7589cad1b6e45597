// Byte and SentencePiece tokenizers: round trips, special ids, a small trained
// BPE model that reloads to the same ids.
#include "crossover/data/tokenizer.h"

#include <gtest/gtest.h>

#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

const std::string kUtf8 = "def f(x):\n\treturn x  *  2  # naïve → ok\n\n  [MASK] <|eos|>\n";

std::vector<std::string> small_corpus() {
  std::vector<std::string> docs;
  for (int i = 0; i < 60; ++i)
    docs.push_back("def function_" + std::to_string(i) + "(self, value):\n    return value + " +
                   std::to_string(i * 7) + "\n\nclass Thing:\n    pass\n");
  docs.push_back("The quick brown fox jumps over the lazy dog.\n");
  return docs;
}

TEST(ByteTokenizer, RoundTripAndSpecials) {
  auto t = make_byte_tokenizer();
  EXPECT_EQ(t->vocab_size(), 260);
  EXPECT_EQ(t->eos_id(), 256);
  EXPECT_EQ(t->bos_id(), 257);
  EXPECT_EQ(t->pad_id(), 258);
  EXPECT_EQ(t->mask_id(), 259);
  auto ids = t->encode(kUtf8);
  EXPECT_EQ(ids.size(), kUtf8.size());  // one id per UTF-8 byte
  EXPECT_EQ(ids[0], 'd');
  EXPECT_EQ(t->decode(ids), kUtf8);
  ids.push_back(259);
  ids.push_back(256);
  EXPECT_EQ(t->decode(ids), kUtf8);
  EXPECT_EQ(t->decode(ids, false), kUtf8 + "[MASK]<|eos|>");
}

TEST(SentencePieceTokenizer, TrainEncodeDecodeReload) {
  TempDir dir;
  auto t = train_sentencepiece_tokenizer(small_corpus(), 320, dir.file("sp.model"));
  EXPECT_EQ(t->name(), "sentencepiece");
  EXPECT_EQ(t->vocab_size(), 320);
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->eos_id(), 2);
  EXPECT_EQ(t->pad_id(), 3);
  EXPECT_EQ(t->mask_id(), 4);
  for (const std::string& s : {kUtf8, small_corpus()[3], std::string("   \n\n\t x"), std::string("")}) {
    auto ids = t->encode(s);
    EXPECT_EQ(t->decode(ids), s);
    for (int32_t id : ids) {
      EXPECT_FALSE(t->is_special(id)) << "text never yields a special id: " << s;
      EXPECT_LT(id, t->vocab_size());
    }
  }
  // BPE merges something: with ~60 merges the training text needs fewer ids than bytes.
  std::string doc = small_corpus()[5];
  EXPECT_LT(t->encode(doc).size() * 4, doc.size() * 3);
  auto again = load_sentencepiece_tokenizer(dir.file("sp.model"));
  EXPECT_EQ(again->encode(kUtf8), t->encode(kUtf8));
  EXPECT_EQ(again->mask_id(), 4);
  EXPECT_THROW(load_sentencepiece_tokenizer(dir.file("missing.model")), Error);
  EXPECT_THROW(train_sentencepiece_tokenizer(small_corpus(), 100, dir.file("x.model")), UsageError);
}

}  // namespace
}  // namespace crossover
