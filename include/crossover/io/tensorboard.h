// tensorboard.h — scalars as TensorBoard event files, so `tensorboard --logdir
// runs/` shows a sweep live. No TensorFlow or protobuf dependency: the file is
// written by hand.
//
// Format (what tensorboard's own reader expects): a file named
// "events.out.tfevents.<unix time>.<host>.<pid>.<n>" holding TFRecord records
//   uint64 length (LE) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
// where data is a serialized tensorflow.Event proto. Only these fields are written:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3;
//             Summary summary = 5; SessionLog session_log = 7; }
//   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
//   SessionLog { SessionStatus status = 1; }  (START = 1)
// The first record is the version event {file_version: "brain.Event:2"}.
// Every scalar is a float32 (simple_value), as TensorBoard stores them.
//
// Deliberately not here: images, histograms, hparams, and reading (tests read
// the files back with the tensorboard package itself).
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

namespace crossover {

// CRC-32C (Castagnoli), and the "masked" form TFRecord stores:
// ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t crc32c(const void* data, size_t n);
uint32_t masked_crc32c(const void* data, size_t n);

class TensorBoardWriter {
 public:
  // Opens a new event file in `dir` (created if missing) and writes the
  // version record.
  explicit TensorBoardWriter(const std::string& dir);
  // One scalar; flushed at once so a live TensorBoard sees it.
  void add_scalar(const std::string& tag, double value, int64_t step, double wall_time);
  // A SessionLog START at `step`: TensorBoard drops every scalar it has read
  // with step >= `step` (used when a resumed run logs those steps again).
  void add_restart(int64_t step, double wall_time);
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& data);
  std::string path_;
  std::ofstream out_;
};

}  // namespace crossover
