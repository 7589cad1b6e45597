// checksum.h — non-cryptographic hashes that guard against accidents.
//   XXH3-64 (libxxhash, ~10+ GB/s): the checksum meta.json records for every
//     prepared .bin/.idx file, so a truncated or corrupted file is caught when a
//     dataset is opened; datasets prepared before it carry FNV-1a and are still
//     checked with it.
//   FNV-1a 64: tiny keys (seed derivation, config and subset hashes), whose
//     values are recorded in run summaries and must not change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace crossover {

constexpr uint64_t kFnv1a64Offset = 14695981039346656037ULL;

// Continues a running FNV-1a 64 hash over `n` bytes (start with kFnv1a64Offset).
uint64_t fnv1a64_update(uint64_t h, const void* data, size_t n);
// The checksum of a whole file; throws crossover::Error if it cannot be read.
uint64_t fnv1a64_file(const std::string& path);
// XXH3-64 (seed 0) of a whole file; throws crossover::Error if it cannot be read.
uint64_t xxh3_64_file(const std::string& path);
// XXH3-64 (seed 0) of bytes in memory.
uint64_t xxh3_64(const void* data, size_t n);
// 16 lower-case hex digits.
std::string hex64(uint64_t v);

}  // namespace crossover
