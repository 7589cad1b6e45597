// indexed_dataset.cpp — Megatron .bin/.idx writer and mmap readers.
#include "crossover/data/indexed_dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "crossover/util/check.h"

namespace crossover {
namespace {

const char kMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};
constexpr int64_t kHeaderBytes = 9 + 8 + 1 + 8 + 8;  // = 34

template <class T>
void put(std::string& s, T v) {  // little-endian hosts only (x86-64, aarch64)
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <class T>
T get(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void write_all(FILE* f, const void* p, size_t n, const std::string& path) {
  if (n && std::fwrite(p, 1, n, f) != n)
    throw Error(str_cat("write failed for '", path, "': ", std::strerror(errno),
                        "; hint: is the disk full?"));
}

}  // namespace

TokenDtype token_dtype_for_vocab(int64_t vocab_size) {
  return vocab_size < 65500 ? TokenDtype::kUInt16 : TokenDtype::kInt32;
}

int64_t token_dtype_size(TokenDtype d) { return d == TokenDtype::kUInt16 ? 2 : 4; }

// ---- MappedFile ------------------------------------------------------------

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    throw Error(str_cat("cannot open '", path, "': ", std::strerror(errno),
                        "; hint: check data.path and that `crossover data prepare` finished"));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(str_cat("'", path, "' is not a regular file"));
  }
  size_ = st.st_size;
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      throw Error(str_cat("cannot mmap '", path, "': ", std::strerror(errno)));
    }
    data_ = static_cast<const unsigned char*>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
}

// ---- writer ----------------------------------------------------------------

std::string megatron_index_bytes(const std::vector<int32_t>& sizes, TokenDtype dtype) {
  std::string s(kMagic, 9);
  put<uint64_t>(s, 1);
  put<uint8_t>(s, static_cast<uint8_t>(dtype));
  put<uint64_t>(s, sizes.size());
  put<uint64_t>(s, sizes.size() + 1);
  for (int32_t n : sizes) put<int32_t>(s, n);
  int64_t ptr = 0;
  for (int32_t n : sizes) {
    put<int64_t>(s, ptr);
    ptr += static_cast<int64_t>(n) * token_dtype_size(dtype);
  }
  for (size_t d = 0; d <= sizes.size(); ++d) put<int64_t>(s, static_cast<int64_t>(d));
  return s;
}

IndexedDatasetWriter::IndexedDatasetWriter(const std::string& prefix, TokenDtype dtype)
    : prefix_(prefix), dtype_(dtype) {
  bin_ = std::fopen((prefix + ".bin").c_str(), "wb");
  if (!bin_)
    throw Error(str_cat("cannot create '", prefix, ".bin': ", std::strerror(errno)));
}

IndexedDatasetWriter::~IndexedDatasetWriter() {
  if (bin_) std::fclose(bin_);
}

void IndexedDatasetWriter::add_document(const std::vector<int32_t>& ids) {
  CROSSOVER_CHECK(bin_, "add_document after finish on '", prefix_, "'");
  CROSSOVER_CHECK(ids.size() < (1ULL << 31), "document of ", ids.size(),
                  " tokens does not fit Megatron's int32 sequence length");
  std::string path = prefix_ + ".bin";
  if (dtype_ == TokenDtype::kUInt16) {
    buf16_.resize(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      CROSSOVER_CHECK(ids[i] >= 0 && ids[i] < 65536, "token id ", ids[i],
                      " does not fit uint16 in '", path, "'");
      buf16_[i] = static_cast<uint16_t>(ids[i]);
    }
    write_all(bin_, buf16_.data(), buf16_.size() * 2, path);
  } else {
    write_all(bin_, ids.data(), ids.size() * 4, path);
  }
  sizes_.push_back(static_cast<int32_t>(ids.size()));
  num_tokens_ += static_cast<int64_t>(ids.size());
}

void IndexedDatasetWriter::finish() {
  std::string bin_path = prefix_ + ".bin", idx_path = prefix_ + ".idx";
  bool ok = std::fflush(bin_) == 0;
  ok = (std::fclose(bin_) == 0) && ok;
  bin_ = nullptr;
  if (!ok) throw Error(str_cat("cannot finish '", bin_path, "': ", std::strerror(errno)));
  std::string idx = megatron_index_bytes(sizes_, dtype_);
  FILE* f = std::fopen(idx_path.c_str(), "wb");
  if (!f) throw Error(str_cat("cannot create '", idx_path, "': ", std::strerror(errno)));
  bool wrote = std::fwrite(idx.data(), 1, idx.size(), f) == idx.size();
  wrote = (std::fclose(f) == 0) && wrote;
  if (!wrote) throw Error(str_cat("write failed for '", idx_path, "'; hint: is the disk full?"));
}

// ---- readers ---------------------------------------------------------------

std::shared_ptr<IndexedDataset> IndexedDataset::open_megatron(const std::string& prefix) {
  std::string idx_path = prefix + ".idx", bin_path = prefix + ".bin";
  MappedFile idx(idx_path);
  auto ds = std::make_shared<IndexedDataset>();
  ds->bin_ = std::make_unique<MappedFile>(bin_path);
  const unsigned char* p = idx.data();
  const std::string hint = "; hint: the file is truncated or corrupt, re-run `crossover data prepare`";
  if (idx.size() < kHeaderBytes || std::memcmp(p, kMagic, 9) != 0)
    throw Error(str_cat("'", idx_path, "' is not a Megatron MMIDIDX index (bad header)", hint));
  uint64_t version = get<uint64_t>(p + 9);
  if (version != 1)
    throw Error(str_cat("'", idx_path, "' has index version ", version, ", expected 1"));
  uint8_t code = p[17];
  if (code != 4 && code != 8)
    throw Error(str_cat("'", idx_path, "' has token dtype code ", int(code),
                        "; crossover reads uint16 (8) and int32 (4)"));
  ds->dtype_ = static_cast<TokenDtype>(code);
  const int64_t item = token_dtype_size(ds->dtype_);
  uint64_t n_seq = get<uint64_t>(p + 18), n_doc_idx = get<uint64_t>(p + 26);
  int64_t expect = kHeaderBytes + 12 * static_cast<int64_t>(n_seq) + 8 * static_cast<int64_t>(n_doc_idx);
  if (n_seq > (1ULL << 40) || n_doc_idx > (1ULL << 40) || n_doc_idx < 1 || idx.size() != expect)
    throw Error(str_cat("'", idx_path, "' is ", idx.size(), " bytes but its header (", n_seq,
                        " sequences, ", n_doc_idx, " doc_idx entries) implies ", expect, hint));
  const unsigned char* sizes = p + kHeaderBytes;
  const unsigned char* ptrs = sizes + 4 * n_seq;
  const unsigned char* docs = ptrs + 8 * n_seq;
  int64_t expect_ptr = 0;
  std::vector<int64_t> seq_len(n_seq);
  for (uint64_t i = 0; i < n_seq; ++i) {
    int32_t len = get<int32_t>(sizes + 4 * i);
    int64_t ptr = get<int64_t>(ptrs + 8 * i);
    if (len < 0 || ptr != expect_ptr)
      throw Error(str_cat("'", idx_path, "': sequence ", i, " has length ", len, " at byte ", ptr,
                          ", expected byte ", expect_ptr, " (sequences must be contiguous)", hint));
    seq_len[i] = len;
    expect_ptr += len * item;
  }
  if (ds->bin_->size() != expect_ptr)
    throw Error(str_cat("'", bin_path, "' is ", ds->bin_->size(), " bytes but '", idx_path,
                        "' indexes ", expect_ptr, " bytes", hint));
  int64_t prev = get<int64_t>(docs);
  if (prev != 0) throw Error(str_cat("'", idx_path, "': doc_idx does not start at 0", hint));
  int64_t token = 0;
  for (uint64_t d = 1; d < n_doc_idx; ++d) {
    int64_t next = get<int64_t>(docs + 8 * d);
    if (next < prev || next > static_cast<int64_t>(n_seq))
      throw Error(str_cat("'", idx_path, "': doc_idx[", d, "]=", next, " out of order", hint));
    int64_t len = 0;
    for (int64_t s = prev; s < next; ++s) len += seq_len[s];
    ds->doc_start_.push_back(token);
    ds->doc_length_.push_back(len);
    token += len;
    prev = next;
  }
  if (prev != static_cast<int64_t>(n_seq))
    throw Error(str_cat("'", idx_path, "': doc_idx ends at ", prev, " but there are ", n_seq,
                        " sequences", hint));
  ds->num_tokens_ = token;
  return ds;
}

std::shared_ptr<IndexedDataset> IndexedDataset::open_raw_uint16(const std::string& bin_path,
                                                                int32_t eos_id) {
  auto ds = std::make_shared<IndexedDataset>();
  ds->bin_ = std::make_unique<MappedFile>(bin_path);
  ds->dtype_ = TokenDtype::kUInt16;
  if (ds->bin_->size() % 2 != 0)
    throw Error(str_cat("'", bin_path, "' has an odd size (", ds->bin_->size(),
                        " bytes), so it is not raw uint16 tokens; hint: the file is truncated"));
  const int64_t n = ds->bin_->size() / 2;
  const unsigned char* p = ds->bin_->data();
  int64_t start = 0;
  for (int64_t i = 0; i <= n; ++i) {
    if (i == n || get<uint16_t>(p + 2 * i) == eos_id) {
      if (i > start) {
        ds->doc_start_.push_back(start);
        ds->doc_length_.push_back(i - start);
        ds->num_tokens_ += i - start;
      }
      start = i + 1;
    }
  }
  return ds;
}

void IndexedDataset::read(int64_t d, int64_t offset, int64_t n, int64_t* out) const {
  const unsigned char* base = bin_->data();
  int64_t first = doc_start_[d] + offset;
  if (dtype_ == TokenDtype::kUInt16) {
    const unsigned char* p = base + 2 * first;
    for (int64_t i = 0; i < n; ++i) out[i] = get<uint16_t>(p + 2 * i);
  } else {
    const unsigned char* p = base + 4 * first;
    for (int64_t i = 0; i < n; ++i) out[i] = get<int32_t>(p + 4 * i);
  }
}

std::vector<int32_t> IndexedDataset::document(int64_t d) const {
  std::vector<int64_t> tmp(doc_length_[d]);
  read(d, 0, doc_length_[d], tmp.data());
  return std::vector<int32_t>(tmp.begin(), tmp.end());
}

int64_t IndexedDataset::find_token_outside(int64_t vocab_size, int64_t* value) const {
  const unsigned char* p = bin_->data();
  const int64_t n = bin_->size() / token_dtype_size(dtype_);
  for (int64_t i = 0; i < n; ++i) {
    int64_t v = dtype_ == TokenDtype::kUInt16 ? get<uint16_t>(p + 2 * i) : get<int32_t>(p + 4 * i);
    if (v < 0 || v >= vocab_size) {
      *value = v;
      return i;
    }
  }
  return -1;
}

}  // namespace crossover
