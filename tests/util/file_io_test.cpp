// Checked atomic writes and the guarded run-directory removal.
#include "crossover/util/file_io.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;
using namespace crossover::testing;  // test_util.h

TEST(FileIo, AtomicWriteReplacesAndLeavesNoTemp) {
  TempDir dir;
  write_file_atomic(dir.file("a.txt"), "one\n");
  write_file_atomic(dir.file("a.txt"), "two\n");
  EXPECT_EQ(read_file_text(dir.file("a.txt")), "two\n");
  EXPECT_FALSE(fs::exists(dir.file("a.txt.tmp")));
  EXPECT_THROW(read_file_text(dir.file("missing.txt")), Error);
  EXPECT_THROW(read_file_text(dir.path().string()), Error);  // a directory is not a file
}

TEST(FileIo, FailedWriteKeepsTheOldFile) {
  TempDir dir;
  write_file_atomic(dir.file("a.txt"), "good\n");
  // /dev/full fails every write with ENOSPC: the same error as a full disk.
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  fs::create_symlink("/dev/full", dir.file("a.txt.tmp"));
  try {
    write_file_atomic(dir.file("a.txt"), "new text that cannot be written\n");
    FAIL() << "a write to a full device succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file_text(dir.file("a.txt")), "good\n");
}

TEST(FileIo, RemoveRunTreeOnlyRemovesDirectChildren) {
  TempDir dir;
  const std::string parent = dir.file("runs");
  fs::create_directories(parent + "/keep");
  fs::create_directories(parent + "/mine/checkpoints");
  write_file(parent + "/keep/x", "1");
  for (const std::string& bad : {parent, parent + "/", parent + "/.", parent + "/mine/..",
                                 parent + "/mine/checkpoints", dir.path().string(), std::string("/")})
    EXPECT_THROW(remove_run_tree(bad, parent), Error) << bad;
  EXPECT_TRUE(fs::exists(parent + "/keep/x"));
  EXPECT_TRUE(fs::exists(parent + "/mine/checkpoints"));
  remove_run_tree(parent + "/mine", parent);
  EXPECT_FALSE(fs::exists(parent + "/mine"));
  remove_run_tree(parent + "/absent", parent);  // a no-op
  EXPECT_TRUE(fs::exists(parent + "/keep/x"));
}

}  // namespace
}  // namespace crossover
