// `crossover data prepare|info|bench` through the binary: success paths and
// every bad input as one line with the right exit code.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

#include "crossover/data/indexed_dataset.h"
#include "crossover/util/checksum.h"
#include "data_test_util.h"
#include "test_util.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;
using namespace crossover::testing;  // test_util.h

// Expects one "crossover: error: ..." line containing `fragment`, exit `code`.
void expect_error(const std::string& args, int code, const std::string& fragment) {
  auto r = run_crossover(args);
  EXPECT_EQ(r.exit_code, code) << args << "\n" << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(r.out.rfind("crossover: error: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(fragment), std::string::npos) << "missing '" << fragment << "' in " << r.out;
}

void write_texts(const TempDir& dir, int n) {
  for (int i = 0; i < n; ++i)
    write_file(dir.file("src/t" + std::to_string(i) + ".txt"),
               "text number " + std::to_string(i) + " with some words in it\n");
}

TEST(DataCli, PrepareInfoBench) {
  TempDir dir;
  write_texts(dir, 30);
  auto r = run_crossover("data prepare --source " + dir.file("src") + " --out " + dir.file("ds") +
                         " --val-docs 3");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("30 documents -> train 27 docs"), std::string::npos) << r.out;
  for (const char* f : {"train.bin", "train.idx", "val.bin", "val.idx", "meta.json"})
    EXPECT_TRUE(fs::exists(dir.file(std::string("ds/") + f))) << f;
  auto info = run_crossover("data info " + dir.file("ds") + " --sample 11");
  ASSERT_EQ(info.exit_code, 0) << info.out;
  EXPECT_NE(info.out.find("train       27 documents"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("val         3 documents"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("sample      text number"), std::string::npos) << info.out;
  auto bench = run_crossover("data bench " + dir.file("ds") + " --seq-len 16 --batch 4 --steps 20");
  ASSERT_EQ(bench.exit_code, 0) << bench.out;
  EXPECT_NE(bench.out.find("M tokens/s"), std::string::npos) << bench.out;
}

TEST(DataCli, BadSourcesAreOneLineErrors) {
  TempDir dir;
  expect_error("data prepare --source " + dir.file("missing.txt") + " --out " + dir.file("o"), 2,
               "does not exist");
  write_file(dir.file("empty/a.txt"), "");
  expect_error("data prepare --source " + dir.file("empty") + " --out " + dir.file("o"), 2,
               "no non-empty documents");
  write_file(dir.file("bad.jsonl"), "{\"text\": 3}\n");
  expect_error("data prepare --source " + dir.file("bad.jsonl") + " --out " + dir.file("o"), 1,
               "bad.jsonl:1: no string field");
  expect_error("data prepare --source python-stdlib --out " + dir.file("o") + " --tokenizer bpe", 2,
               "unknown --tokenizer 'bpe'");
  expect_error("data preprae", 2, "did you mean 'prepare'");
  write_texts(dir, 4);
  ASSERT_EQ(run_crossover("data prepare --source " + dir.file("src") + " --out " + dir.file("o")).exit_code, 0);
  expect_error("data prepare --source " + dir.file("src") + " --out " + dir.file("o"), 2,
               "already exists; hint: pass --force");
  EXPECT_FALSE(fs::exists(dir.file("o.tmp")));
}

TEST(DataCli, CorruptDatasetsAreOneLineErrors) {
  TempDir dir;
  write_texts(dir, 20);
  ASSERT_EQ(run_crossover("data prepare --source " + dir.file("src") + " --out " + dir.file("ds")).exit_code, 0);
  std::string bin = read_file(dir.file("ds/train.bin")), idx = read_file(dir.file("ds/train.idx"));
  // Truncated .bin: the size check against meta.json fires first.
  write_file(dir.file("ds/train.bin"), bin.substr(0, bin.size() - 4));
  expect_error("data info " + dir.file("ds"), 1, "train.bin' is");
  // Same size, one byte changed: the checksum catches it.
  std::string flipped = bin;
  flipped[10] ^= 1;
  write_file(dir.file("ds/train.bin"), flipped);
  expect_error("data info " + dir.file("ds"), 1, "fails its checksum (xxh3_64");
  write_file(dir.file("ds/train.bin"), bin);
  // New datasets record XXH3-64 (the value xxhsum -H3 prints); one prepared before
  // records FNV-1a and is still checked with it.
  const std::string meta_path = dir.file("ds/meta.json"), meta_text = read_file(meta_path);
  auto meta = nlohmann::json::parse(meta_text);
  EXPECT_EQ(meta["files"]["train.bin"]["xxh3_64"], hex64(xxh3_64(bin.data(), bin.size())));
  for (auto& [name, entry] : meta["files"].items()) {
    entry.erase("xxh3_64");
    entry["fnv1a64"] = hex64(fnv1a64_file(dir.file("ds/" + name)));
  }
  write_file(meta_path, meta.dump(2));
  EXPECT_EQ(run_crossover("data info " + dir.file("ds")).exit_code, 0);
  write_file(dir.file("ds/train.bin"), flipped);
  expect_error("data info " + dir.file("ds"), 1, "fails its checksum (fnv1a64");
  write_file(dir.file("ds/train.bin"), bin);
  write_file(meta_path, meta_text);
  write_file(dir.file("ds/train.idx"), idx.substr(0, 20));
  expect_error("data info " + dir.file("ds"), 1, "train.idx");
  write_file(dir.file("ds/train.idx"), idx);
  fs::remove(dir.file("ds/val.idx"));
  expect_error("data info " + dir.file("ds"), 1, "missing");
  expect_error("data info " + dir.file("nothing"), 1, "neither a prepared dataset directory");
  // Budget larger than the corpus.
  ASSERT_EQ(run_crossover("data prepare --source " + dir.file("src") + " --out " + dir.file("ok")).exit_code, 0);
  expect_error("data bench " + dir.file("ok") + " --unique-tokens 100000000", 2, "tokens (");
}

TEST(DataCli, TokenIdsBeyondVocabularyAreCaught) {
  TempDir dir;
  // A hand-made dataset whose tokens exceed the byte vocabulary (260).
  crossover::testing::write_synthetic_dataset(dir.file("ds"), {5, 5}, {5});
  {
    IndexedDatasetWriter w(dir.file("ds/train"), TokenDtype::kUInt16);
    w.add_document({1, 2, 300});
    w.finish();
  }
  expect_error("data info " + dir.file("ds"), 1, "token id 300");
}

}  // namespace
}  // namespace crossover
