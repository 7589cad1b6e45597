// prepare_dataset: split by document, weights, JSONL, determinism, checksums,
// SentencePiece, and nothing half-written on failure.
#include "crossover/data/prepare.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

#include "crossover/data/dataset.h"
#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;
using namespace crossover::testing;  // test_util.h

// 20 small text files "doc NN ..." in DIR/src.
void write_corpus(const TempDir& dir, int n = 20) {
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "src/f%02d.txt", i);
    write_file(dir.file(name), "doc " + std::to_string(100 + i) + " says hello world\n");
  }
}

PrepareOptions options(const TempDir& dir, const std::string& source, const std::string& out) {
  PrepareOptions o;
  o.sources = {parse_source_spec(source)};
  o.out = dir.file(out);
  o.val_fraction = 0.2;
  return o;
}

std::set<std::string> texts_of(const IndexedDataset& ds, const Tokenizer& t) {
  std::set<std::string> s;
  for (int64_t d = 0; d < ds.num_documents(); ++d) s.insert(t.decode(ds.document(d)));
  return s;
}

TEST(Prepare, SplitsByDocumentAndWritesVerifiableFiles) {
  TempDir dir;
  write_corpus(dir);
  PrepareReport r = prepare_dataset(options(dir, dir.file("src"), "out"));
  EXPECT_EQ(r.documents, 20);
  EXPECT_EQ(r.val_documents, 4);
  EXPECT_EQ(r.train_documents, 16);
  EXPECT_EQ(r.train_tokens + r.val_tokens, 20 * 25);  // bytes of "doc 1NN says hello world\n"
  PreparedDataset ds = PreparedDataset::open(dir.file("out"));
  auto tok = load_tokenizer(ds.meta);
  auto train = texts_of(*ds.train, *tok), val = texts_of(*ds.val, *tok);
  EXPECT_EQ(train.size() + val.size(), 20u);
  for (const auto& v : val) EXPECT_EQ(train.count(v), 0u) << v;
  EXPECT_EQ(ds.meta.json["files"]["train.bin"]["bytes"].get<int64_t>(), r.train_tokens * 2);
  EXPECT_FALSE(fs::exists(dir.file("out.tmp-" + std::to_string(::getpid()))));
  // Deterministic: a second run writes identical files.
  prepare_dataset(options(dir, dir.file("src"), "again"));
  for (const char* f : {"train.bin", "train.idx", "val.bin", "val.idx"})
    EXPECT_EQ(read_file(dir.file(std::string("out/") + f)), read_file(dir.file(std::string("again/") + f)));
}

TEST(Prepare, WeightsJsonlAndLabels) {
  TempDir dir;
  write_corpus(dir, 10);
  write_file(dir.file("c.jsonl"), "{\"text\": \"alpha\"}\n\n{\"text\": \"beta\", \"id\": 2}\n");
  PrepareOptions o = options(dir, "label=files,weight=2,path=" + dir.file("src/*.txt"), "out");
  o.sources.push_back(parse_source_spec("label=j,weight=0.5,path=" + dir.file("c.jsonl")));
  o.val_docs = 0;
  PrepareReport r = prepare_dataset(o);
  EXPECT_EQ(r.train_documents, 2 * 10 + 1);  // files twice, half of the 2 JSONL lines
  EXPECT_EQ(r.val_documents, 0);
  auto meta = read_dataset_meta(dir.file("out/meta.json"));
  EXPECT_EQ(meta.json["sources"][0]["label"], "files");
  EXPECT_EQ(meta.json["sources"][1]["train_documents"], 1);
  write_file(dir.file("bad.jsonl"), "{\"text\": \"ok\"}\n{\"txt\": 1}\n");
  try {
    prepare_dataset(options(dir, dir.file("bad.jsonl"), "bad"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
  }
}

TEST(Prepare, FailureLeavesNothingBehind) {
  TempDir dir;
  write_corpus(dir, 3);
  PrepareOptions o = options(dir, dir.file("src"), "out");
  o.tokenizer = "sentencepiece";
  o.vocab_size = 10;  // too small: fails after the staging directory exists
  EXPECT_THROW(prepare_dataset(o), UsageError);
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename(), "src") << "left behind: " << e.path();
  EXPECT_THROW(prepare_dataset(options(dir, dir.file("nope/*.txt"), "out")), UsageError);
  prepare_dataset(options(dir, dir.file("src"), "out"));
  EXPECT_THROW(prepare_dataset(options(dir, dir.file("src"), "out")), UsageError);  // exists
  PrepareOptions force = options(dir, dir.file("src"), "out");
  force.force = true;
  prepare_dataset(force);
}

TEST(Prepare, SentencePieceDatasetRoundTrips) {
  TempDir dir;
  for (int i = 0; i < 30; ++i)
    write_file(dir.file("src/f" + std::to_string(i) + ".py"),
               "def f" + std::to_string(i) + "(x):\n    return x * " + std::to_string(i) + "\n");
  PrepareOptions o = options(dir, dir.file("src"), "out");
  o.tokenizer = "sentencepiece";
  o.vocab_size = 300;
  prepare_dataset(o);
  PreparedDataset ds = PreparedDataset::open(dir.file("out"));
  EXPECT_EQ(ds.meta.tokenizer, "sentencepiece");
  EXPECT_EQ(ds.meta.mask_id, 4);
  auto tok = load_tokenizer(ds.meta);
  for (const auto& t : texts_of(*ds.train, *tok)) EXPECT_EQ(t.rfind("def f", 0), 0u) << t;
}

}  // namespace
}  // namespace crossover
