// checksum.h — FNV-1a 64-bit over bytes: the checksum meta.json records for
// every prepared .bin/.idx file, so a truncated or corrupted file is caught
// when a dataset is opened. Not cryptographic; it guards against accidents.
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
// 16 lower-case hex digits.
std::string hex64(uint64_t v);

}  // namespace crossover
