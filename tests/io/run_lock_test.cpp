// The run lock (io/run_lock.h): one holder at a time, the refusal names the
// holder's pid, the lock file lives beside the run so deleting the run
// directory (--overwrite) neither deletes nor frees it, and releasing it
// leaves no pid behind. (Two processes: tests/train/trainer_itest.cpp.)
#include "crossover/io/run_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "crossover/util/check.h"
#include "crossover/util/file_io.h"
#include "test_util.h"

namespace crossover {
namespace {
namespace fs = std::filesystem;
using namespace crossover::testing;  // test_util.h

TEST(RunLock, OneHolderAndTheRefusalNamesItsPid) {
  TempDir dir;
  const std::string run = dir.file("runs/a");  // runs/ does not exist yet
  EXPECT_EQ(run_lock_path(run), dir.file("runs/.a.lock"));
  EXPECT_EQ(run_lock_path(run + "/"), dir.file("runs/.a.lock"));
  EXPECT_FALSE(run_lock_held(run));
  {
    RunLock held(run);
    EXPECT_TRUE(held.held());
    EXPECT_TRUE(fs::is_directory(dir.file("runs")));  // the parent, just enough for the lock
    EXPECT_FALSE(fs::exists(run));                    // the run directory is the trainer's to make
    EXPECT_TRUE(run_lock_held(run));
    EXPECT_EQ(read_file(run_lock_path(run)), std::to_string(::getpid()) + "\n");
    // flock is per open file: a second open in this process is refused like another process.
    try {
      RunLock second(run);
      FAIL() << "a second lock on a held run was granted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), kRunLockBusy);
      EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(::getpid()) + " holds its lock"),
                std::string::npos)
          << e.what();
    }
    // --overwrite deletes the run directory under the lock: the lock stays.
    fs::create_directories(run + "/checkpoints");
    remove_run_tree(run, dir.file("runs"));
    EXPECT_TRUE(run_lock_held(run));
    EXPECT_THROW(RunLock again(run), Error);
    RunLock moved(std::move(held));
    EXPECT_FALSE(held.held());
    EXPECT_TRUE(moved.held());
    EXPECT_TRUE(run_lock_held(run));
  }
  EXPECT_FALSE(run_lock_held(run));
  EXPECT_EQ(read_file(run_lock_path(run)), "");  // released: no pid left behind
  RunLock next(run);                              // the file left over is harmless
  EXPECT_TRUE(next.held());
}

}  // namespace
}  // namespace crossover
