// checksum.cpp — the non-cryptographic hashes of data subsets, configs and checkpoints (checksum.h).
#include "crossover/util/checksum.h"

#include <cstdio>
#include <vector>

#define XXH_INLINE_ALL  // header-only: no library to link (and none to carry to the GPU machine)
#include <xxhash.h>

#include "crossover/util/check.h"

namespace crossover {

uint64_t fnv1a64_update(uint64_t h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t fnv1a64_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(str_cat("cannot read '", path, "'; hint: check the path and permissions"));
  std::vector<char> buf(1 << 20);
  uint64_t h = kFnv1a64Offset;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) h = fnv1a64_update(h, buf.data(), n);
  bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) throw Error(str_cat("read error in '", path, "'"));
  return h;
}

uint64_t xxh3_64(const void* data, size_t n) { return XXH3_64bits(data, n); }

uint64_t xxh3_64_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(str_cat("cannot read '", path, "'; hint: check the path and permissions"));
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  std::vector<char> buf(1 << 22);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) XXH3_64bits_update(&state, buf.data(), n);
  bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) throw Error(str_cat("read error in '", path, "'"));
  return XXH3_64bits_digest(&state);
}

std::string hex64(uint64_t v) {
  char s[17];
  std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(v));
  return s;
}

}  // namespace crossover
