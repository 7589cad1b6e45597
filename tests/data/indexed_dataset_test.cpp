// Megatron .idx layout against a hand-computed byte layout and an independent
// Python writer; round trips; corrupt and truncated files; raw nanoGPT .bin.
#include "crossover/data/indexed_dataset.h"

#include <gtest/gtest.h>

#include <cstring>

#include "crossover/util/check.h"
#include "crossover/util/checksum.h"
#include "data_test_util.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(IndexedDataset, IdxBytesMatchHandComputedLayout) {
  // sizes {3, 0, 2}, uint16: header 34 bytes, 3 int32 sizes, 3 int64 pointers
  // (0, 6, 6), 4 int64 doc_idx (0, 1, 2, 3) = 34 + 12 + 24 + 32 = 102 bytes.
  std::string b = megatron_index_bytes({3, 0, 2}, TokenDtype::kUInt16);
  ASSERT_EQ(b.size(), 102u);
  EXPECT_EQ(b.substr(0, 9), std::string("MMIDIDX\0\0", 9));
  const unsigned char expect_head[] = {1, 0, 0, 0, 0, 0, 0, 0,  // version
                                       8,                       // uint16
                                       3, 0, 0, 0, 0, 0, 0, 0,  // sequences
                                       4, 0, 0, 0, 0, 0, 0, 0,  // doc_idx entries
                                       3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0};  // sizes
  EXPECT_EQ(std::memcmp(b.data() + 9, expect_head, sizeof expect_head), 0);
  int64_t ptr[3], doc[4];
  std::memcpy(ptr, b.data() + 46, 24);
  std::memcpy(doc, b.data() + 70, 32);
  EXPECT_EQ(ptr[0], 0);
  EXPECT_EQ(ptr[1], 6);
  EXPECT_EQ(ptr[2], 6);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(doc[i], i);
}

TEST(IndexedDataset, IdxMatchesPythonMegatronWriterByteForByte) {
  TempDir dir;
  for (auto dtype : {TokenDtype::kUInt16, TokenDtype::kInt32}) {
    std::vector<int64_t> lengths = {5, 1, 0, 17, 3};
    IndexedDatasetWriter w(dir.file("ours"), dtype);
    for (size_t d = 0; d < lengths.size(); ++d)
      w.add_document(crossover::testing::synthetic_document(d, lengths[d]));
    w.finish();
    std::string cmd = std::string(CROSSOVER_PYTHON) + " " +
                      crossover::testing::source_path("tests/data/megatron_writer.py") + " " +
                      dir.file("ref.idx") + " " + std::to_string(int(dtype)) + " 5 1 0 17 3";
    auto r = crossover::testing::run_shell(cmd);
    if (r.exit_code != 0) GTEST_SKIP() << "python unavailable: " << r.out;
    EXPECT_EQ(read_file(dir.file("ours.idx")), read_file(dir.file("ref.idx")));
    EXPECT_EQ(read_file(dir.file("ours.bin")).size(), 26u * token_dtype_size(dtype));
  }
}

TEST(IndexedDataset, RoundTripBothDtypes) {
  TempDir dir;
  std::vector<std::vector<int32_t>> docs = {{1, 2, 3}, {}, {65535, 0}, {7}};
  IndexedDatasetWriter w(dir.file("a"), TokenDtype::kUInt16);
  for (auto& d : docs) w.add_document(d);
  w.finish();
  auto ds = IndexedDataset::open_megatron(dir.file("a"));
  ASSERT_EQ(ds->num_documents(), 4);
  EXPECT_EQ(ds->num_tokens(), 6);
  for (size_t d = 0; d < docs.size(); ++d) EXPECT_EQ(ds->document(d), docs[d]);
  int64_t v;
  EXPECT_EQ(ds->find_token_outside(65536, &v), -1);
  EXPECT_EQ(ds->find_token_outside(100, &v), 3);
  EXPECT_EQ(v, 65535);

  IndexedDatasetWriter w32(dir.file("b"), TokenDtype::kInt32);
  w32.add_document({100000, 1});
  w32.finish();
  auto ds32 = IndexedDataset::open_megatron(dir.file("b"));
  EXPECT_EQ(ds32->document(0), (std::vector<int32_t>{100000, 1}));
  EXPECT_EQ(token_dtype_for_vocab(65499), TokenDtype::kUInt16);
  EXPECT_EQ(token_dtype_for_vocab(65500), TokenDtype::kInt32);
}

TEST(IndexedDataset, CorruptFilesAreClearErrors) {
  TempDir dir;
  IndexedDatasetWriter w(dir.file("a"), TokenDtype::kUInt16);
  w.add_document({1, 2, 3, 4});
  w.add_document({5, 6});
  w.finish();
  std::string bin = read_file(dir.file("a.bin")), idx = read_file(dir.file("a.idx"));

  write_file(dir.file("a.bin"), bin.substr(0, bin.size() - 2));
  EXPECT_NE(error_of([&] { IndexedDataset::open_megatron(dir.file("a")); })
                .find("a.bin' is 10 bytes but"), std::string::npos);
  write_file(dir.file("a.bin"), bin);

  write_file(dir.file("a.idx"), idx.substr(0, idx.size() - 8));
  EXPECT_NE(error_of([&] { IndexedDataset::open_megatron(dir.file("a")); }).find("implies"),
            std::string::npos);
  std::string bad = idx;
  bad[0] = 'X';
  write_file(dir.file("a.idx"), bad);
  EXPECT_NE(error_of([&] { IndexedDataset::open_megatron(dir.file("a")); }).find("bad header"),
            std::string::npos);
  bad = idx;
  bad[17] = 5;  // int64 tokens
  write_file(dir.file("a.idx"), bad);
  EXPECT_NE(error_of([&] { IndexedDataset::open_megatron(dir.file("a")); }).find("dtype code 5"),
            std::string::npos);
  EXPECT_NE(error_of([&] { IndexedDataset::open_megatron(dir.file("missing")); })
                .find("cannot open"), std::string::npos);
}

TEST(IndexedDataset, RawUint16SplitsAtEos) {
  TempDir dir;
  std::vector<uint16_t> raw = {5, 6, 9, 9, 7, 9, 8};  // eos = 9
  write_file(dir.file("r.bin"), std::string(reinterpret_cast<char*>(raw.data()), raw.size() * 2));
  auto ds = IndexedDataset::open_raw_uint16(dir.file("r.bin"), 9);
  ASSERT_EQ(ds->num_documents(), 3);
  EXPECT_EQ(ds->document(0), (std::vector<int32_t>{5, 6}));
  EXPECT_EQ(ds->document(1), (std::vector<int32_t>{7}));
  EXPECT_EQ(ds->document(2), (std::vector<int32_t>{8}));
}

TEST(Checksum, Fnv1a64KnownVectors) {
  // Published FNV-1a 64 test vectors.
  EXPECT_EQ(fnv1a64_update(kFnv1a64Offset, "", 0), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64_update(kFnv1a64Offset, "a", 1), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64_update(kFnv1a64Offset, "foobar", 6), 0x85944171f73967e8ULL);
  // XXH3-64 reference values (xxhsum -H3 / the xxhash package's test vectors).
  EXPECT_EQ(xxh3_64("", 0), 0x2d06800538d394c2ULL);
  EXPECT_EQ(xxh3_64("a", 1), 0xe6c632b61e964e1fULL);
}

}  // namespace
}  // namespace crossover
