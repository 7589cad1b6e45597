// dist.cpp — Dist over c10d: TCPStore rendezvous, Gloo or NCCL backend, and the
// translation of every c10d failure into one crossover::Error line.
#include "crossover/distributed/dist.h"

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <c10/util/Logging.h>
#include <torch/torch.h>
#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <map>

#include "crossover/util/check.h"
#include "crossover/util/log.h"

namespace crossover {

struct Dist::Impl {
  c10::intrusive_ptr<c10d::Store> store;   // PrefixStore over the TCPStore
  c10::intrusive_ptr<c10d::Backend> pg;    // ProcessGroupGloo or ProcessGroupNCCL
};

namespace {

// First line of an error message, without gloo's "[path/to/file.cc:123] " prefix.
std::string one_line(const std::string& what) {
  std::string s = what.substr(0, what.find('\n'));
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find("] ");
    if (close != std::string::npos && s.find(':') < close) s = s.substr(close + 2);
  }
  return str_trim(s);
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Runs f(); a c10d exception becomes dist.fail(what, cause).
template <class F>
auto guarded(const Dist& dist, const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    dist.fail(what, one_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    dist.fail(what, one_line(e.what()));
  }
}

class C10dWork : public DistWork {
 public:
  C10dWork(const Dist& dist, c10::intrusive_ptr<c10d::Work> work, std::string what)
      : dist_(dist), work_(std::move(work)), what_(std::move(what)) {}
  void wait() override {
    guarded(dist_, what_, [&] { work_->wait(); });
  }

 private:
  const Dist& dist_;
  c10::intrusive_ptr<c10d::Work> work_;
  std::string what_;
};

class DoneWork : public DistWork {
 public:
  void wait() override {}
};

std::vector<uint8_t> to_bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string from_bytes(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

c10::intrusive_ptr<c10d::Store> connect_store(const DistEnv& env, int64_t timeout_s) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(env.master_port);
  o.timeout = std::chrono::seconds(timeout_s);
  if (env.use_agent_store) {
    o.isServer = false;  // the torchrun agent hosts it (rendezvous.py: is_master=False)
  } else {
    o.isServer = env.rank == 0;
    o.numWorkers = static_cast<size_t>(env.world_size);
    o.waitWorkers = true;
    o.multiTenant = true;
  }
  std::string where = str_cat(env.master_addr, ":", env.master_port);
  // c10d logs every failed connect attempt with a stack trace; our one line
  // below says it all, so only FATAL c10 logs pass while connecting.
  struct QuietC10Log {
    int saved = FLAGS_caffe2_log_level;
    QuietC10Log() { FLAGS_caffe2_log_level = 3; }
    ~QuietC10Log() { FLAGS_caffe2_log_level = saved; }
  } quiet;
  try {
    return c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
  } catch (const std::exception& e) {
    const auto* ce = dynamic_cast<const c10::Error*>(&e);
    std::string cause = one_line(ce ? ce->what_without_backtrace() : e.what());
    if (o.isServer && (contains(cause, "EADDRINUSE") || contains(cause, "already in use")))
      throw Error(str_cat("rank 0: cannot host the rendezvous store on ", where,
                          ": port ", env.master_port, " is already in use (hint: another job "
                          "holds it; pass another --master_port / MASTER_PORT, or let "
                          "scripts/launch.sh pick a free one)"));
    throw Error(str_cat("rank ", env.rank, ": could not ", o.isServer ? "host" : "reach",
                        " the rendezvous store at ", where, " within ", timeout_s,
                        " s (hint: ", env.use_agent_store ? "the torchrun agent" : "rank 0",
                        " hosts it; check MASTER_ADDR/MASTER_PORT and that all ",
                        env.world_size, " ranks started): ", cause));
  }
}

bool is_loopback(const std::string& addr) {
  return str_starts_with(addr, "127.") || addr == "localhost" || addr == "::1";
}

c10::intrusive_ptr<c10d::Backend> make_gloo(const DistEnv& env,
                                            const c10::intrusive_ptr<c10d::Store>& store,
                                            int64_t timeout_s) {
  auto opts = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(timeout_s));
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME")) {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  } else if (is_loopback(env.master_addr)) {
    // Single node: loopback, whatever the hostname resolves to.
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, static_cast<int>(env.rank),
                                                     static_cast<int>(env.world_size), opts);
}

c10::intrusive_ptr<c10d::Backend> make_nccl(const DistEnv& env,
                                            const c10::intrusive_ptr<c10d::Store>& store,
                                            int64_t timeout_s, torch::Device device) {
#ifdef USE_C10D_NCCL
  // NCCL binds the communicator to the current device: this rank's own GPU
  // (init_distributed checked that `device` is cuda:LOCAL_RANK).
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(env.local_rank));
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = std::chrono::seconds(timeout_s);
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, static_cast<int>(env.rank),
                                                     static_cast<int>(env.world_size), opts);
#else
  throw UsageError("this LibTorch was built without NCCL (hint: --set dist.backend=gloo)");
#endif
}

}  // namespace

Dist::Dist(const DistEnv& env, torch::Device device, const std::string& backend,
           int64_t timeout_s, std::unique_ptr<Impl> impl)
    : env_(env), device_(device), backend_(backend), timeout_s_(timeout_s),
      impl_(std::move(impl)) {}

Dist::~Dist() = default;

void Dist::fail(const std::string& what, const std::string& cause) const {
  bool timed_out = contains(cause, "imed out") || contains(cause, "imeout");
  throw Error(str_cat("rank ", env_.rank, ": ", what,
                      timed_out ? str_cat(" timed out after ", timeout_s_, " s") : " failed",
                      " (", cause, ") - another rank probably died or stalled; hint: check the "
                      "other ranks' output (dist.timeout_s=", timeout_s_, ")"));
}

std::unique_ptr<DistWork> Dist::all_reduce_sum_async(torch::Tensor& tensor) {
  if (!enabled()) return std::make_unique<DoneWork>();
  CROSSOVER_CHECK(tensor.is_contiguous(), "all_reduce_sum_async needs a contiguous tensor");
  std::vector<torch::Tensor> v{tensor};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  auto work = guarded(*this, "all_reduce", [&] { return impl_->pg->allreduce(v, o); });
  return std::make_unique<C10dWork>(*this, std::move(work), "all_reduce");
}

namespace {
void check_scatter_shapes(const torch::Tensor& whole, const torch::Tensor& part, int64_t world,
                          const char* what) {
  CROSSOVER_CHECK(whole.dim() == 1 && part.dim() == 1 && whole.is_contiguous() &&
                      part.is_contiguous(),
                  what, " needs contiguous 1-D tensors, got ", whole.sizes(), " and ",
                  part.sizes());
  CROSSOVER_CHECK(whole.numel() == world * part.numel() && whole.dtype() == part.dtype(), what,
                  ": the whole tensor (", whole.numel(), " ", whole.dtype(),
                  ") must be world size ", world, " x the part (", part.numel(), " ",
                  part.dtype(), ")", "; hint: pad flat buffers to a multiple of the world size");
}
}  // namespace

std::unique_ptr<DistWork> Dist::reduce_scatter_sum_async(torch::Tensor& out, torch::Tensor& in) {
  check_scatter_shapes(in, out, world_size(), "reduce_scatter");
  torch::NoGradGuard no_grad;
  if (!enabled()) {
    out.copy_(in);
    return std::make_unique<DoneWork>();
  }
  c10d::ReduceScatterOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  auto work =
      guarded(*this, "reduce_scatter", [&] { return impl_->pg->_reduce_scatter_base(out, in, o); });
  return std::make_unique<C10dWork>(*this, std::move(work), "reduce_scatter");
}

std::unique_ptr<DistWork> Dist::all_gather_async(torch::Tensor& out, torch::Tensor& in) {
  check_scatter_shapes(out, in, world_size(), "all_gather");
  torch::NoGradGuard no_grad;
  if (!enabled()) {
    out.copy_(in);
    return std::make_unique<DoneWork>();
  }
  c10d::AllgatherOptions o;
  auto work = guarded(*this, "all_gather", [&] { return impl_->pg->_allgather_base(out, in, o); });
  return std::make_unique<C10dWork>(*this, std::move(work), "all_gather");
}

void Dist::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  if (!enabled() || tensors.empty()) return;
  torch::NoGradGuard no_grad;
  // One flat buffer per (dtype, device): c10d's list form means "one tensor per
  // GPU", not "many tensors", so we pack.
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < tensors.size(); ++i)
    groups[str_cat(tensors[i].dtype(), "@", tensors[i].device())].push_back(i);
  std::vector<torch::Tensor> flats;
  std::vector<std::unique_ptr<DistWork>> works;
  for (auto& [key, idx] : groups) {
    std::vector<torch::Tensor> parts;
    for (size_t i : idx) parts.push_back(tensors[i].reshape({-1}));
    flats.push_back(parts.size() == 1 ? parts[0].contiguous().clone() : torch::cat(parts));
    works.push_back(all_reduce_sum_async(flats.back()));
  }
  size_t g = 0;
  for (auto& [key, idx] : groups) {
    works[g]->wait();
    int64_t off = 0;
    for (size_t i : idx) {
      int64_t n = tensors[i].numel();
      tensors[i].copy_(flats[g].narrow(0, off, n).view(tensors[i].sizes()));
      off += n;
    }
    ++g;
  }
}

void Dist::all_reduce_sum(torch::Tensor& tensor) {
  std::vector<torch::Tensor> v{tensor};
  all_reduce_sum(v);
}

double Dist::all_reduce_sum(double value) {
  if (!enabled()) return value;
  auto t = torch::full({1}, value, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  all_reduce_sum_async(t)->wait();
  return t.item<double>();
}

void Dist::broadcast(torch::Tensor& tensor, int64_t root) {
  if (!enabled()) return;
  CROSSOVER_CHECK(root >= 0 && root < world_size(), "broadcast root ", root,
                  " is not a rank of a world of ", world_size());
  torch::NoGradGuard no_grad;
  torch::Tensor buf = tensor.is_contiguous() ? tensor : tensor.contiguous();
  std::vector<torch::Tensor> v{buf};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  o.rootTensor = 0;
  auto work = guarded(*this, "broadcast", [&] { return impl_->pg->broadcast(v, o); });
  C10dWork(*this, std::move(work), "broadcast").wait();
  if (!buf.is_same(tensor)) tensor.copy_(buf);
}

void Dist::barrier() {
  // A one-element sum: same code path on Gloo and NCCL, and item() syncs CUDA.
  all_reduce_sum(0.0);
}

void Dist::check_same(const std::string& value, const std::string& what) {
  if (!enabled()) return;
  std::string key = str_cat("check_same/", check_seq_++);
  std::string root = value;
  guarded(*this, str_cat("check_same(", what, ")"), [&] {
    if (is_main())
      impl_->store->set(key, to_bytes(value));
    else
      root = from_bytes(impl_->store->get(key));  // blocks up to dist.timeout_s
  });
  double differ = all_reduce_sum(value == root ? 0.0 : 1.0);
  if (differ > 0)
    throw Error(str_cat("rank ", rank(), ": ", what, " differs across ranks: ",
                        static_cast<int64_t>(differ), " of ", world_size(),
                        " rank(s) disagree with rank 0 (this rank: ", value, ", rank 0: ", root,
                        "; hint: start every rank with the same config and --set overrides)"));
}

std::shared_ptr<Dist> init_distributed(const DistConfig& cfg, torch::Device device) {
  return init_distributed(cfg, device, read_dist_env());
}

std::shared_ptr<Dist> init_distributed(const DistConfig& cfg, torch::Device device,
                                       const DistEnv& env) {
  if (env.world_size == 1)
    return std::make_shared<Dist>(env, device, "none", cfg.timeout_s, nullptr);
  std::string backend = cfg.backend == "auto" ? (device.is_cuda() ? "nccl" : "gloo") : cfg.backend;
  if (backend == "nccl" && !device.is_cuda())
    throw UsageError(str_cat("dist.backend=nccl needs a CUDA device, but this run uses ", device,
                             " (hint: --set dist.backend=gloo, or auto)"));
  if (device.is_cuda() && device.index() != env.local_rank)
    throw UsageError(str_cat("dist: rank ", env.rank, " was given ", device, " but LOCAL_RANK=",
                             env.local_rank, "; every rank must use cuda:LOCAL_RANK (hint: pick "
                             "the device with setup_process / choose_device, as train does)"));
  auto impl = std::make_unique<Dist::Impl>();
  auto tcp = connect_store(env, cfg.timeout_s);
  impl->store = c10::make_intrusive<c10d::PrefixStore>(
      str_cat("crossover/attempt_", env.restart_count), tcp);
  // Gloo reduces CPU tensors (and stages CUDA ones); NCCL needs them on the GPU.
  torch::Device coll_device = backend == "nccl" ? device : torch::Device(torch::kCPU);
  // A Dist with no group yet gives guarded() its rank and timeout for messages.
  Dist probe(env, coll_device, backend, cfg.timeout_s, nullptr);
  impl->pg = guarded(probe, str_cat("creating the ", backend, " process group"), [&] {
    return backend == "nccl" ? make_nccl(env, impl->store, cfg.timeout_s, device)
                             : make_gloo(env, impl->store, cfg.timeout_s);
  });
  auto dist = std::make_shared<Dist>(env, coll_device, backend, cfg.timeout_s, std::move(impl));
  log_info(str_cat("dist: rank ", env.rank, " of ", env.world_size, ", ", backend, ", store ",
                   env.master_addr, ":", env.master_port,
                   env.use_agent_store ? " (torchrun agent)" : " (hosted by rank 0)",
                   ", timeout ", cfg.timeout_s, " s"));
  return dist;
}

}  // namespace crossover
