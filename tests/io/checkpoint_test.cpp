// Checkpoint round trip and corruption detection (flipped byte, truncated
// file, missing state.json), and fallback to the newest valid checkpoint.
#include "crossover/io/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;
using namespace crossover::testing;  // test_util.h

std::string save(const TempDir& dir, int64_t step, float value) {
  CheckpointState s;
  s.step = step;
  s.tokens_seen = step * 100;
  s.data_cursor = {{"samples", step * 4}};
  s.config_hash = "abc";
  char name[32];
  std::snprintf(name, sizeof(name), "step_%08lld", static_cast<long long>(step));
  return save_checkpoint(dir.file("ck"), name, {{"w", torch::full({3, 2}, value)}},
                         {{"exp_avg/w", torch::full({3, 2}, value / 2)}}, s);
}

TEST(Checkpoint, RoundTrip) {
  TempDir dir;
  auto path = save(dir, 7, 1.5f);
  Checkpoint c = load_checkpoint(path);
  EXPECT_EQ(c.state.step, 7);
  EXPECT_EQ(c.state.tokens_seen, 700);
  EXPECT_EQ(c.state.data_cursor["samples"], 28);
  EXPECT_TRUE(torch::equal(c.model.at("w"), torch::full({3, 2}, 1.5f)));
  EXPECT_TRUE(torch::equal(c.optim.at("exp_avg/w"), torch::full({3, 2}, 0.75f)));
  EXPECT_FALSE(fs::exists(dir.file("ck/.tmp_step_00000007")));
}

TEST(Checkpoint, CorruptionIsDetectedAndSkipped) {
  TempDir dir;
  save(dir, 1, 1.0f);
  save(dir, 2, 2.0f);
  auto newest = save(dir, 3, 3.0f);
  {  // flip one byte of the weights
    std::fstream f(newest + "/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-2, std::ios::end);
    f.put('\x7f');
  }
  EXPECT_THROW(load_checkpoint(newest), Error);
  auto c = load_latest_valid_checkpoint(dir.file("ck"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->state.step, 2);
  // Truncated optimizer file and a missing state.json are caught too.
  fs::resize_file(dir.file("ck/step_00000002/optim.safetensors"), 10);
  fs::remove(dir.file("ck/step_00000001/state.json"));
  // Every checkpoint corrupt: an error naming them, not "no checkpoint".
  try {
    load_latest_valid_checkpoint(dir.file("ck"));
    FAIL() << "all-corrupt checkpoints were accepted";
  } catch (const Error& e) {
    std::string what = e.what();
    for (const char* n : {"step_00000001", "step_00000002", "step_00000003"})
      EXPECT_NE(what.find(n), std::string::npos) << what;
  }
  EXPECT_FALSE(load_latest_valid_checkpoint(dir.file("none")).has_value());
}

// Valid JSON with wrong fields is a corrupt checkpoint (an Error resume can
// skip), never a raw nlohmann type_error.
TEST(Checkpoint, WrongStateFieldsAreCorruptionNotJsonErrors) {
  for (const char* edit : {"step_string", "files_empty", "no_cursor"}) {
    TempDir dir;
    auto ck = save(dir, 4, 1.0f);
    auto j = nlohmann::json::parse(crossover::testing::read_file(ck + "/state.json"));
    if (std::string(edit) == "step_string") j["step"] = "abc";
    if (std::string(edit) == "files_empty") j["files"] = nlohmann::json::object();
    if (std::string(edit) == "no_cursor") j.erase("data_cursor");
    crossover::testing::write_file(ck + "/state.json", j.dump());
    try {
      load_checkpoint(ck);
      FAIL() << edit << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("state.json"), std::string::npos) << e.what();
    }
  }
}

// Issue 27 item 8: a wrongly typed field inside `extra` (which resume reads)
// and a step that cannot be this checkpoint's are corruption too, so --resume
// auto falls back to the checkpoint before instead of dying in nlohmann.
TEST(Checkpoint, WrongExtraAndAbsurdStepsAreCorruption) {
  auto corrupt = [](const std::string& ck, const std::function<void(nlohmann::json&)>& edit,
                    int64_t max_step = -1) {
    auto j = nlohmann::json::parse(crossover::testing::read_file(ck + "/state.json"));
    edit(j);
    crossover::testing::write_file(ck + "/state.json", j.dump());
    try {
      load_checkpoint(ck, max_step);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  TempDir dir;
  auto ck = save(dir, 4, 1.0f);
  EXPECT_NE(corrupt(ck, [](auto& j) { j["extra"]["world_size"] = "abc"; }).find("extra.world_size \"abc\""),
            std::string::npos);
  EXPECT_NE(corrupt(ck, [](auto& j) { j["extra"] = {{"world_size", 0}}; }).find("extra.world_size 0"),
            std::string::npos);
  EXPECT_NE(corrupt(ck, [](auto& j) { j["extra"] = "x"; }).find("'extra' that is not an object"),
            std::string::npos);
  EXPECT_NE(corrupt(ck, [](auto& j) {
              j["extra"] = {{"world_size", 2}};
              j["step"] = 99999999999999;
            }).find("says step 99999999999999 in a directory named step_00000004"),
            std::string::npos);
  EXPECT_EQ(corrupt(ck, [](auto& j) { j["step"] = 4; }), "accepted");
  EXPECT_NE(corrupt(ck, [](auto&) {}, 3).find("beyond this run's 3 steps"), std::string::npos);
  EXPECT_EQ(corrupt(ck, [](auto&) {}, 4), "accepted");
  // The newest is skipped, the one before is taken.
  save(dir, 2, 2.0f);
  corrupt(ck, [](auto& j) { j["extra"]["world_size"] = "abc"; });
  auto c = load_latest_valid_checkpoint(dir.file("ck"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->state.step, 2);
  EXPECT_THROW(load_latest_valid_checkpoint(dir.file("ck"), 1), Error);  // both beyond step 1
}

TEST(Checkpoint, PruneKeepsNewest) {
  TempDir dir;
  for (int s = 1; s <= 5; ++s) save(dir, s, 1.0f);
  prune_checkpoints(dir.file("ck"), 2);
  auto left = list_checkpoints(dir.file("ck"));
  ASSERT_EQ(left.size(), 2u);
  EXPECT_NE(left[0].find("step_00000004"), std::string::npos);
}

}  // namespace
}  // namespace crossover
