// dist.h — the process group of a data-parallel run: one handle (Dist) that
// knows this rank's place and runs the few collectives crossover needs.
//
//   auto dist = init_distributed(cfg.dist, device);   // world 1: no group at all
//   dist->check_same(config_hash(cfg), "config hash"); // every rank, same order
//   dist->all_reduce_sum(loss_sum);                      // doubles, tensors
//
// Rendezvous follows torchrun (torch/distributed/rendezvous.py, _create_c10d_store):
// with TORCHELASTIC_USE_AGENT_STORE=True every rank is a TCPStore client of the
// agent's store at MASTER_ADDR:MASTER_PORT; otherwise rank 0 hosts the store.
// Our keys (and the backend's) live under "crossover/attempt_<restart>/" so a
// restarted attempt never reads keys left by the previous one.
// Backend `auto`: NCCL when the device is CUDA, Gloo on CPU.
//
// Failure model: every collective and store operation honours dist.timeout_s;
// a dead or stuck peer surfaces as one crossover::Error line naming this rank,
// the operation and a hint — never a hang, never a stack trace.
// Not here: gradient bucketing (distributed/grad_sync.h), parameter broadcast
// (distributed/data_parallel.h).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crossover/config/config.h"
#include "crossover/distributed/dist_env.h"

namespace crossover {

// An in-flight collective (all_reduce_sum_async, reduce_scatter_sum_async,
// all_gather_async). wait() blocks (Gloo) or orders
// the current CUDA stream after it (NCCL); throws crossover::Error on failure.
class DistWork {
 public:
  virtual ~DistWork() = default;
  virtual void wait() = 0;
};

class Dist {
 public:
  struct Impl;  // c10d objects; kept out of this header
  Dist(const DistEnv& env, torch::Device device, const std::string& backend, int64_t timeout_s,
       std::unique_ptr<Impl> impl);
  ~Dist();
  Dist(const Dist&) = delete;
  Dist& operator=(const Dist&) = delete;

  int64_t rank() const { return env_.rank; }
  int64_t world_size() const { return env_.world_size; }
  int64_t local_rank() const { return env_.local_rank; }
  bool is_main() const { return env_.rank == 0; }
  bool enabled() const { return env_.world_size > 1; }  // false: every collective is a no-op
  const DistEnv& env() const { return env_; }
  torch::Device device() const { return device_; }      // where collective tensors live
  const std::string& backend() const { return backend_; }  // "none" | "gloo" | "nccl"
  int64_t timeout_s() const { return timeout_s_; }

  // In-place sums over ranks. Tensors must live on device() (NCCL) or the CPU
  // (Gloo); any shapes and dtypes: they are packed into one flat buffer per dtype.
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  void all_reduce_sum(torch::Tensor& tensor);
  double all_reduce_sum(double value);
  // Starts an in-place sum of one contiguous tensor and returns at once.
  std::unique_ptr<DistWork> all_reduce_sum_async(torch::Tensor& tensor);
  // ZeRO's two collectives, on contiguous 1-D tensors of one dtype (world W):
  // reduce-scatter: in (W·n,) on every rank; out (n,) receives the sum over
  // ranks of in[rank·n, (rank+1)·n). all-gather: in (n,) on every rank; out
  // (W·n,) receives rank r's `in` at [r·n, (r+1)·n). Both start and return at
  // once; World 1: a copy. `in` must stay alive and unchanged until wait().
  std::unique_ptr<DistWork> reduce_scatter_sum_async(torch::Tensor& out, torch::Tensor& in);
  std::unique_ptr<DistWork> all_gather_async(torch::Tensor& out, torch::Tensor& in);
  // In place: every rank ends with root's values (same shape and dtype everywhere).
  void broadcast(torch::Tensor& tensor, int64_t root = 0);
  void barrier();
  // Every rank passes its own `value` (e.g. a config hash); if any rank's value
  // differs from rank 0's, every rank throws Error naming `what` and both values.
  void check_same(const std::string& value, const std::string& what);

  // Rethrows a c10d failure of `what` as one crossover::Error line with a hint.
  [[noreturn]] void fail(const std::string& what, const std::string& cause) const;

 private:
  DistEnv env_;
  torch::Device device_;
  std::string backend_;
  int64_t timeout_s_;
  std::unique_ptr<Impl> impl_;
  int64_t check_seq_ = 0;
};

// Reads the environment (read_dist_env), connects the store and creates the
// backend. World 1 returns a Dist with no process group. Throws Error for an
// unreachable store, a port already in use, or a backend that cannot run here.
std::shared_ptr<Dist> init_distributed(const DistConfig& cfg, torch::Device device);
std::shared_ptr<Dist> init_distributed(const DistConfig& cfg, torch::Device device,
                                       const DistEnv& env);

}  // namespace crossover
