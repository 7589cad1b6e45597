// tensorboard.cpp — TFRecord-framed Event protos, encoded by hand (see the header).
#include "crossover/io/tensorboard.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "crossover/util/check.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

// Byte-at-a-time table for the reflected Castagnoli polynomial 0x82F63B78.
const std::array<uint32_t, 256>& crc32c_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

// ---- protobuf wire format (only what Event needs) ---------------------------
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

void put_varint(std::string* s, uint64_t v) {
  while (v >= 0x80) {
    s->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  s->push_back(static_cast<char>(v));
}

void put_key(std::string* s, uint32_t field, WireType type) { put_varint(s, (field << 3) | type); }

template <class T>
void put_le(std::string* s, T v) {  // the machine is little-endian (x86-64, aarch64)
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  s->append(b, sizeof(T));
}

void put_bytes(std::string* s, uint32_t field, const std::string& bytes) {
  put_key(s, field, kBytes);
  put_varint(s, bytes.size());
  s->append(bytes);
}

// Event header fields shared by every record: wall_time = 1, step = 2.
std::string event_prefix(double wall_time, int64_t step) {
  std::string e;
  put_key(&e, 1, kFixed64);
  put_le(&e, wall_time);
  if (step != 0) {
    put_key(&e, 2, kVarint);
    put_varint(&e, static_cast<uint64_t>(step));
  }
  return e;
}

}  // namespace

uint32_t crc32c(const void* data, size_t n) {
  const auto& t = crc32c_table();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = t[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const void* data, size_t n) {
  uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  fs::create_directories(dir);
  // Unique per process and per writer: a resumed run opens a second file.
  static std::atomic<int> counter{0};
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  path_ = str_cat(dir, "/events.out.tfevents.", static_cast<int64_t>(unix_time_s()), ".", host, ".",
                  static_cast<int64_t>(getpid()), ".", counter++);
  out_.open(path_, std::ios::binary | std::ios::trunc);
  CROSSOVER_CHECK(out_, "cannot create TensorBoard event file '", path_,
                  "'; hint: is the run directory writable? (train.tensorboard: false turns it off)");
  std::string e = event_prefix(unix_time_s(), 0);
  put_bytes(&e, 3, "brain.Event:2");  // file_version
  write_record(e);
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step,
                                   double wall_time) {
  std::string v;  // Summary.Value
  put_bytes(&v, 1, tag);
  put_key(&v, 2, kFixed32);
  put_le(&v, static_cast<float>(value));
  std::string summary;
  put_bytes(&summary, 1, v);
  std::string e = event_prefix(wall_time, step);
  put_bytes(&e, 5, summary);
  write_record(e);
}

void TensorBoardWriter::add_restart(int64_t step, double wall_time) {
  std::string log;  // SessionLog{status: START}
  put_key(&log, 1, kVarint);
  put_varint(&log, 1);
  std::string e = event_prefix(wall_time, step);
  put_bytes(&e, 7, log);  // session_log (6 is the deprecated log_message)
  write_record(e);
}

void TensorBoardWriter::write_record(const std::string& data) {
  std::string rec;
  put_le(&rec, static_cast<uint64_t>(data.size()));
  put_le(&rec, masked_crc32c(rec.data(), 8));
  rec += data;
  put_le(&rec, masked_crc32c(data.data(), data.size()));
  out_.write(rec.data(), static_cast<std::streamsize>(rec.size()));
  out_.flush();
  CROSSOVER_CHECK(out_, "cannot write TensorBoard event file '", path_, "' (disk full?)");
}

}  // namespace crossover
