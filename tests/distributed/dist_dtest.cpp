// The distributed layer end to end, with real processes on this machine:
// scripts/launch.sh and torchrun starting `crossover dist-check` (whose
// gradient check compares against a world-1 gradient), torchrun's agent-store
// rendezvous, a rank that dies, a rank that stalls, and a port already in use.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "crossover/util/stopwatch.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

const std::string kBin = CROSSOVER_BINARY;
// Small all-reduce for the bandwidth step; generous timeout for the happy path.
const std::string kCheck = kBin + " dist-check --bytes 1048576";

// A listening socket on a kernel-chosen port; closed when the object dies.
class HeldPort {
 public:
  HeldPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::listen(fd_, 16);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~HeldPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

int free_port() { return HeldPort().port(); }

bool has(const std::string& out, const std::string& part) {
  return out.find(part) != std::string::npos;
}

std::string launch(int nproc, const std::string& extra = "") {
  return source_path("scripts/launch.sh") + " --nproc_per_node " + std::to_string(nproc) + " " +
         extra + " -- ";
}

// Two ranks started by hand (no launcher), so the survivor's own message is
// seen; rank 1 gets args1 when given, else args.
std::string two_ranks(int port, const std::string& args, const std::string& args1 = "") {
  std::string env = "WORLD_SIZE=2 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                    std::to_string(port);
  return "(" + env + " RANK=0 LOCAL_RANK=0 " + kCheck + " " + args + " & p0=$!; " + env +
         " RANK=1 LOCAL_RANK=1 " + kCheck + " " + (args1.empty() ? args : args1) +
         " & p1=$!; wait $p0; echo \"rank0 rc=$?\"; " +
         "kill $p1 2>/dev/null; wait $p1; echo \"rank1 rc=$?\")";
}

TEST(Dist, LaunchTwoRanksPassesWithGradientParity) {
  RunResult r = run_shell(launch(2) + kCheck + " --set dist.timeout_s=60");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "dist-check ok: world 2 (gloo, cpu)")) << r.out;
  EXPECT_TRUE(has(r.out, "grad parity")) << r.out;
  // ZeRO-1/2 against a single-process AdamW: clip norm, weights, state.
  EXPECT_TRUE(has(r.out, "shard optimizer ok")) << r.out;
  EXPECT_TRUE(has(r.out, "shard gradients ok")) << r.out;
  std::cout << r.out;
}

// Three ranks: buckets padded to a multiple of 3, uneven pieces per rank.
TEST(Dist, ThreeRanksShardedStepsMatchOneProcess) {
  RunResult r = run_shell(launch(3) + kCheck + " --set dist.timeout_s=60");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "dist-check ok: world 3 (gloo, cpu)")) << r.out;
  EXPECT_TRUE(has(r.out, "shard gradients ok")) << r.out;
}

TEST(Dist, WorldOneNeedsNoLauncher) {
  RunResult r = run_shell(kCheck);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "dist-check ok: world 1 (none")) << r.out;
}

TEST(Dist, AgentStoreRendezvous) {
  // This process plays torchrun's agent: it hosts the TCPStore and the ranks
  // connect as clients (TORCHELASTIC_USE_AGENT_STORE=True), on restart 1.
  c10d::TCPStoreOptions o;
  o.port = 0;
  o.isServer = true;
  o.waitWorkers = false;
  o.timeout = std::chrono::seconds(60);
  auto agent = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", o);
  RunResult r = run_shell(
      "TORCHELASTIC_USE_AGENT_STORE=True TORCHELASTIC_RESTART_COUNT=1 " +
      launch(2, "--master_port " + std::to_string(agent->getPort())) + kCheck +
      " --set dist.timeout_s=60");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "dist-check ok: world 2")) << r.out;
  // Our keys live under this attempt's prefix in the agent's store.
  EXPECT_TRUE(agent->check({"crossover/attempt_1/check_same/0"}));
  EXPECT_FALSE(agent->check({"crossover/attempt_0/check_same/0"}));
}

TEST(Dist, ConfigMismatchStopsEveryRank) {
  RunResult r = run_shell(two_ranks(free_port(), "--set dist.timeout_s=20",
                                    "--set dist.timeout_s=20 --set train.lr=1e-3"));
  EXPECT_TRUE(has(r.out, "rank0 rc=1")) << r.out;
  EXPECT_TRUE(has(r.out, "rank1 rc=1")) << r.out;
  EXPECT_TRUE(has(r.out, "rank 0: config hash differs across ranks: 1 of 2")) << r.out;
  EXPECT_TRUE(has(r.out, "rank 1: config hash differs across ranks: 1 of 2")) << r.out;
}

TEST(Dist, DeadRankStopsTheSurvivorWithOneLine) {
  Stopwatch timer;
  RunResult r =
      run_shell(two_ranks(free_port(), "--set dist.timeout_s=10 --die-rank 1 --die-after-s 1"));
  double s = timer.seconds();
  EXPECT_TRUE(has(r.out, "rank0 rc=1")) << r.out;
  EXPECT_TRUE(has(r.out, "rank1 rc=1")) << r.out;
  EXPECT_TRUE(has(r.out, "crossover: error: rank 0: ")) << r.out;
  EXPECT_TRUE(has(r.out, "another rank probably died")) << r.out;
  EXPECT_LT(s, 20.0) << r.out;
}

TEST(Dist, StalledRankTimesOut) {
  // Rank 1 sleeps past the timeout: rank 0's collective must give up after 3 s.
  Stopwatch timer;
  RunResult r =
      run_shell(two_ranks(free_port(), "--set dist.timeout_s=3 --die-rank 1 --die-after-s 30"));
  double s = timer.seconds();
  EXPECT_TRUE(has(r.out, "rank0 rc=1")) << r.out;
  EXPECT_TRUE(has(r.out, "timed out after 3 s")) << r.out;
  EXPECT_LT(s, 20.0) << r.out;
}

TEST(Dist, LauncherStopsEveryWorkerWhenOneFails) {
  std::string token = "leakprobe" + std::to_string(std::random_device{}());
  Stopwatch timer;
  RunResult r = run_shell(launch(2) + kCheck + " --set run.name=" + token +
                          " --set dist.timeout_s=60 --die-rank 1 --die-after-s 0");
  double s = timer.seconds();
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "launch.sh: rank 1 exited with code 1")) << r.out;
  EXPECT_LT(s, 30.0) << r.out;  // well inside dist.timeout_s: the launcher did not wait for it
  // The bracket keeps pgrep from matching the shell that runs it.
  RunResult left = run_shell("pgrep -f '" + token.substr(0, token.size() - 1) + "[" +
                             token.substr(token.size() - 1) + "]' || echo none");
  EXPECT_EQ(left.out, "none\n") << left.out;
}

TEST(Dist, PortInUseIsOneClearLine) {
  HeldPort held;
  RunResult r = run_shell(launch(2, "--master_port " + std::to_string(held.port()) +
                                        " --grace_s 1") +
                          kCheck + " --set dist.timeout_s=20");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "crossover: error: rank 0: cannot host the rendezvous store on "
                         "127.0.0.1:" + std::to_string(held.port()) + ": port " +
                         std::to_string(held.port()) + " is already in use"))
      << r.out;
}

TEST(Dist, TorchrunStartsDistCheck) {
  std::string torchrun =
      (std::filesystem::path(CROSSOVER_PYTHON).parent_path() / "torchrun").string();
  if (!std::filesystem::exists(torchrun)) GTEST_SKIP() << "no torchrun next to " << CROSSOVER_PYTHON;
  RunResult r = run_shell("OMP_NUM_THREADS=1 " + torchrun +
                          " --no_python --nproc_per_node=2 --master_port=" +
                          std::to_string(free_port()) + " " + kCheck + " --set dist.timeout_s=60");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "dist-check ok: world 2")) << r.out;
}

}  // namespace
}  // namespace crossover
