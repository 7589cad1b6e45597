// safetensors: round trip of every dtype, a file written by plain Python
// (tests/reference/model_ref.py) loads to the values Python wrote, and
// truncated or corrupted files throw crossover::Error naming the file.
#include "crossover/io/safetensors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {

using namespace crossover::testing;  // test_util.h

// The tensors model_ref.py's dtype_tensors() writes, rebuilt here.
std::vector<std::pair<std::string, torch::Tensor>> python_dtype_tensors() {
  auto a = torch::arange(6, torch::kFloat64).view({2, 3});
  return {{"f64", a * 0.5 - 1.25},
          {"f32", (a * 0.25 - 0.5).to(torch::kFloat32)},
          {"f16", (a * 0.125).to(torch::kFloat16)},
          {"bf16", (a * 0.25 - 1).to(torch::kBFloat16)},
          {"i64", torch::tensor({-(int64_t(1) << 40), int64_t(0), (int64_t(1) << 40) + 7})},
          {"i32", torch::tensor({-7, 0, 7}, torch::kInt32)},
          {"i16", torch::tensor({-300, 300}, torch::kInt16)},
          {"i8", torch::tensor({-5, 5}, torch::kInt8)},
          {"u8", torch::tensor({0, 200, 255}, torch::kUInt8)},
          {"bool", torch::tensor({true, false, true})},
          {"scalar", torch::tensor(3.5f)},
          {"empty", torch::zeros({0, 4})}};
}

void expect_same(const torch::Tensor& got, const torch::Tensor& want, const std::string& name) {
  EXPECT_EQ(got.scalar_type(), want.scalar_type()) << name;
  EXPECT_EQ(got.sizes(), want.sizes()) << name;
  EXPECT_TRUE(torch::equal(got, want)) << name;
}

TEST(Safetensors, RoundTripEveryDtypeAndMetadata) {
  TempDir dir;
  torch::manual_seed(16);
  auto tensors = python_dtype_tensors();
  tensors.emplace_back("random_f32", torch::randn({3, 5, 7}));
  tensors.emplace_back("strided", torch::randn({6, 4}).t());  // non-contiguous input
  std::string path = dir.file("x.safetensors");
  save_safetensors(path, tensors, {{"step", "42"}, {"config", "model:\n  d_model: 8\n"}});
  std::map<std::string, std::string> meta;
  auto loaded = load_safetensors(path, &meta);
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& [name, t] : tensors) expect_same(loaded.at(name), t.contiguous(), name);
  EXPECT_EQ(meta.at("step"), "42");
  EXPECT_EQ(meta.at("config"), "model:\n  d_model: 8\n");
  // Header length is a multiple of 8 (alignment) and nothing is left behind.
  std::ifstream in(path, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(Safetensors, FileWrittenByPythonLoadsIdentically) {
  TempDir dir;
  std::string path = dir.file("py.safetensors");
  auto r = crossover::testing::run_shell(
      str_cat(CROSSOVER_PYTHON, " ", crossover::testing::source_path("tests/reference/model_ref.py"),
              " dtypes --out ", path));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::map<std::string, std::string> meta;
  auto loaded = load_safetensors(path, &meta);
  auto want = python_dtype_tensors();
  ASSERT_EQ(loaded.size(), want.size());
  for (const auto& [name, t] : want) expect_same(loaded.at(name), t, name);
  EXPECT_EQ(meta.at("source"), "model_ref.py");
}

void expect_load_error(const std::string& path, const std::string& what) {
  try {
    load_safetensors(path);
    ADD_FAILURE() << "expected an error for " << what;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << what << ": " << e.what();
  }
}

TEST(Safetensors, TruncatedOrCorruptFilesThrowNamingTheFile) {
  TempDir dir;
  std::string good = dir.file("good.safetensors");
  save_safetensors(good, {{"a", torch::randn({4, 4})}, {"b", torch::arange(5)}});
  std::string bytes = crossover::testing::read_file(good);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  auto write = [&](const std::string& name, const std::string& content) {
    std::string p = dir.file(name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
  };
  for (size_t cut : {size_t(0), size_t(5), size_t(8), size_t(8 + n / 2), size_t(8 + n + 10),
                     bytes.size() - 1}) {
    expect_load_error(write("cut.safetensors", bytes.substr(0, cut)), str_cat("cut at ", cut));
  }
  std::string huge = bytes;
  huge[7] = '\x7f';  // header length ~ 2^63
  expect_load_error(write("huge.safetensors", huge), "huge header length");
  std::string json_broken = bytes;
  json_broken[8] = 'x';  // '{' -> 'x'
  expect_load_error(write("json.safetensors", json_broken), "broken JSON");
  std::string bad_dtype = bytes;
  bad_dtype.replace(bad_dtype.find("\"F32\""), 5, "\"F3X\"");
  expect_load_error(write("dtype.safetensors", bad_dtype), "unknown dtype");
  std::string bad_shape = bytes;
  bad_shape.replace(bad_shape.find("[4,4]"), 5, "[4,5]");
  expect_load_error(write("shape.safetensors", bad_shape), "shape/offset mismatch");
  std::string trailing = bytes + "junk";
  expect_load_error(write("trail.safetensors", trailing), "trailing bytes");
  expect_load_error(dir.file("missing.safetensors"), "missing file");
}

TEST(Safetensors, DuplicateNamesAreRefused) {
  TempDir dir;
  EXPECT_THROW(save_safetensors(dir.file("d.safetensors"), {{"a", torch::zeros({1})}, {"a", torch::zeros({1})}}),
               Error);
}

}  // namespace
}  // namespace crossover
