// The device choice (choose_device) as a pure function of runtime.device, the
// local rank and the visible device count — the contract torchrun's
// LOCAL_RANK carries: rank r of a node computes on cuda:r — plus the settings
// runtime_setup applies (threads, TF32, CUBLAS_WORKSPACE_CONFIG).
#include "crossover/util/runtime.h"

#include <ATen/Context.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "crossover/config/config.h"
#include "crossover/distributed/dist.h"
#include "crossover/distributed/process_setup.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

torch::Device cuda(int i) { return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(i)); }

TEST(Runtime, EachLocalRankGetsItsOwnGpu) {
  for (int r = 0; r < 8; ++r) {
    EXPECT_EQ(choose_device("auto", r, 8), cuda(r));
    EXPECT_EQ(choose_device("cuda", r, 8), cuda(r));
  }
  EXPECT_EQ(choose_device("cpu", 3, 8), torch::Device(torch::kCPU));
  EXPECT_EQ(choose_device("auto", 0, 0), torch::Device(torch::kCPU));
  EXPECT_EQ(choose_device("auto", 5, 0), torch::Device(torch::kCPU));  // CPU ranks share the host
  EXPECT_EQ(choose_device("cpu", 0, 0), torch::Device(torch::kCPU));
}

std::string usage_error(const std::string& name, int64_t rank, int64_t count) {
  try {
    choose_device(name, rank, count);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Runtime, ImpossibleDeviceChoicesAreOneLine) {
  std::string e = usage_error("cuda", 2, 2);
  EXPECT_NE(e.find("LOCAL_RANK=2 but this process sees 2 CUDA device(s)"), std::string::npos) << e;
  EXPECT_NE(e.find("--nproc_per_node"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_NE(usage_error("auto", 4, 1).find("LOCAL_RANK=4"), std::string::npos);
  EXPECT_NE(usage_error("cuda", 0, 0).find("no CUDA device is available"), std::string::npos);
  EXPECT_NE(usage_error("gpu", 0, 1).find("runtime.device='gpu'"), std::string::npos);
}

TEST(Runtime, OptionsCarryTorchrunsLocalRankAndCoreShare) {
  RuntimeConfig rc;
  rc.device = "cuda";
  rc.tf32 = false;
  DistEnv env;
  env.rank = 5;
  env.world_size = 8;
  env.local_rank = 1;
  env.local_world_size = 4;
  RuntimeOptions o = runtime_options(rc, env);
  EXPECT_EQ(o.local_rank, 1);  // not the global rank, not 0
  EXPECT_EQ(o.local_world_size, 4);
  EXPECT_EQ(o.device, "cuda");
  EXPECT_FALSE(o.tf32);
  EXPECT_EQ(choose_device(o.device, o.local_rank, 4), cuda(1));
  // Cores: auto splits the node's among its ranks; an explicit count is capped.
  EXPECT_EQ(runtime_threads(0, 4, 16), 4);
  EXPECT_EQ(runtime_threads(0, 32, 16), 1);
  EXPECT_EQ(runtime_threads(0, 1, 16), 16);
  EXPECT_EQ(runtime_threads(6, 4, 16), 6);
  EXPECT_EQ(runtime_threads(64, 1, 16), 16);
}

TEST(Runtime, NcclRankOnAnotherRanksGpuIsRefusedBeforeConnecting) {
  DistEnv env;
  env.rank = 1;
  env.world_size = 2;
  env.local_rank = 1;
  env.local_world_size = 2;
  env.master_port = 1;  // never reached: the check comes first
  DistConfig dc;
  dc.backend = "nccl";
  try {
    init_distributed(dc, cuda(0), env);
    FAIL() << "rank 1 on cuda:0 was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("LOCAL_RANK=1"), std::string::npos) << e.what();
  }
}

TEST(Runtime, SetupAppliesTf32AndTheCublasWorkspace) {
  auto matmul = [] {
    return at::globalContext().float32Precision(at::Float32Backend::CUDA, at::Float32Op::MATMUL);
  };
  const int saved_threads = torch::get_num_threads();
  const bool saved_det = at::globalContext().deterministicAlgorithms();
  unsetenv("CUBLAS_WORKSPACE_CONFIG");
  RuntimeOptions o;
  o.device = "cpu";
  o.threads = 1;
  o.tf32 = true;
  const auto cpu_matmul =
      at::globalContext().float32Precision(at::Float32Backend::MKLDNN, at::Float32Op::MATMUL);
  EXPECT_EQ(runtime_setup(o), torch::Device(torch::kCPU));
  EXPECT_EQ(matmul(), at::Float32Precision::TF32);
  EXPECT_TRUE(at::globalContext().allowTF32CuBLAS()) << "legacy and new TF32 state disagree";
  EXPECT_EQ(at::globalContext().float32Precision(at::Float32Backend::MKLDNN, at::Float32Op::MATMUL),
            cpu_matmul) << "CPU matmuls must keep their precision";
  EXPECT_EQ(std::getenv("CUBLAS_WORKSPACE_CONFIG"), nullptr) << "set without runtime.deterministic";
  o.tf32 = false;
  o.deterministic = true;
  runtime_setup(o);
  EXPECT_EQ(matmul(), at::Float32Precision::IEEE);
  EXPECT_FALSE(at::globalContext().allowTF32CuBLAS());
  ASSERT_NE(std::getenv("CUBLAS_WORKSPACE_CONFIG"), nullptr);
  EXPECT_STREQ(std::getenv("CUBLAS_WORKSPACE_CONFIG"), ":4096:8");
  setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8", 1);  // the user's own choice wins
  runtime_setup(o);
  EXPECT_STREQ(std::getenv("CUBLAS_WORKSPACE_CONFIG"), ":16:8");
  unsetenv("CUBLAS_WORKSPACE_CONFIG");
  at::globalContext().setDeterministicAlgorithms(saved_det, false);
  torch::set_num_threads(saved_threads);
}

}  // namespace
}  // namespace crossover
