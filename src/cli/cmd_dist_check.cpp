// `crossover dist-check [CONFIG] [--set k=v ...] [--die-rank R --die-after-s S] [--bytes N]`:
// a diagnostic of the data-parallel layer, run under scripts/launch.sh or torchrun.
//
// Checks, in order, every rank: rendezvous and process group; the config hash is
// the same on every rank; all_reduce (tensors of several dtypes, doubles) and
// broadcast against hand-computed sums; broadcast_parameters; GradSync on a
// tiny model against the outside truth of a world-1 run — each rank takes its
// shard of a fixed batch, in two micro-batches, loss normalised by the global
// token count, and the synchronised gradient must match the full-batch gradient
// computed locally (|err| <= 1e-5 * max|grad|: fp32, only the summation order
// differs). reduce_scatter and all_gather against hand-computed values; at
// world > 1, both ZeRO modes (dist.shard) against a single-process AdamW: clip
// norm, weights after two steps, gathered and resharded optimizer state. Then
// all-reduce bandwidth. Rank 0 prints one summary line.
// --die-rank makes that rank _Exit(1) mid-way, to exercise the fault path.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/config/loader.h"
#include "crossover/distributed/data_parallel.h"
#include "crossover/distributed/dist.h"
#include "crossover/distributed/grad_sync.h"
#include "crossover/distributed/process_setup.h"
#include "crossover/train/adamw.h"
#include "crossover/train/sharded_adamw.h"
#include "crossover/util/check.h"
#include "crossover/util/log.h"
#include "crossover/util/rng.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace {

constexpr double kGradRelTol = 1e-5;
// Adam divides by √v: fp32 summation-order noise in a gradient element near
// zero moves its update by up to lr, so weights get the train parity tolerance.
constexpr double kWeightRelTol = 1e-4;
constexpr double kCheckBucketMb = 8.0 / 1024;  // 8 KiB: the tiny model spans several buckets
constexpr int64_t kV = 64, kC = 32, kT = 16, kB = 12;

// Embedding -> tanh(Linear) -> [expert on routed sequences] -> head. The expert
// only sees sequences whose first token is 0 (the first three of the batch), so
// with contiguous shards some ranks never use it; `unused` is never used at all.
struct CheckNetImpl : torch::nn::Module {
  CheckNetImpl()
      : unused(register_module("unused", torch::nn::Linear(kC, kC))),  // last bucket
        embed(register_module("embed", torch::nn::Embedding(kV, kC))),
        hidden(register_module("hidden", torch::nn::Linear(kC, kC))),
        expert(register_module("expert",
                               torch::nn::Linear(torch::nn::LinearOptions(kC, kC).bias(false)))),
        head(register_module("head", torch::nn::Linear(kC, kV))) {}

  // tokens (b, T) -> summed next-token cross-entropy over b * (T-1) targets
  torch::Tensor loss_sum(const torch::Tensor& tokens) {
    torch::Tensor h = torch::tanh(hidden(embed(tokens)));  // (b, T, C)
    torch::Tensor routed = (tokens.select(1, 0) == 0).nonzero().view({-1});
    if (routed.numel() > 0) h = h.index_add(0, routed, expert(h.index_select(0, routed)));
    torch::Tensor logits = head(h).narrow(1, 0, kT - 1);  // (b, T-1, V)
    torch::Tensor targets = tokens.narrow(1, 1, kT - 1);   // (b, T-1)
    return torch::nn::functional::cross_entropy(
        logits.reshape({-1, kV}), targets.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }

  torch::nn::Linear unused;
  torch::nn::Embedding embed;
  torch::nn::Linear hidden, expert, head;
};
TORCH_MODULE(CheckNet);

void expect(bool ok, Dist& dist, const std::string& what) {
  if (!ok) throw Error(str_cat("rank ", dist.rank(), ": dist-check: ", what, " is wrong"));
}

void check_collectives(Dist& dist) {
  const int64_t w = dist.world_size(), r = dist.rank();
  const double tri = static_cast<double>(w * (w + 1) / 2);
  auto f = torch::full({1000}, static_cast<double>(r + 1), torch::kFloat32);
  dist.all_reduce_sum(f);
  expect(f.eq(tri).all().item<bool>(), dist, "all_reduce of one tensor");
  std::vector<torch::Tensor> mixed = {torch::full({3, 4}, static_cast<double>(r), torch::kFloat32),
                                      torch::full({5}, 2.0 * r, torch::kFloat64),
                                      torch::ones({7}, torch::kInt64),
                                      torch::full({2, 2}, 0.5, torch::kFloat32).t()};
  dist.all_reduce_sum(mixed);
  expect(mixed[0].eq(tri - w).all().item<bool>() && mixed[1].eq(2 * (tri - w)).all().item<bool>() &&
             mixed[2].eq(w).all().item<bool>() && mixed[3].eq(0.5 * w).all().item<bool>(),
         dist, "all_reduce of mixed dtypes");
  expect(dist.all_reduce_sum(r + 0.5) == 0.5 * w * w, dist, "all_reduce of a double");
  const auto dev = torch::TensorOptions().dtype(torch::kFloat32).device(dist.device());
  auto whole = torch::arange(3 * w, dev) + static_cast<double>(r);  // (W·3,)
  auto part = torch::empty({3}, dev);
  dist.reduce_scatter_sum_async(part, whole)->wait();  // Σ_q (3r + i + q)
  expect(part.cpu().equal(torch::arange(3 * r, 3 * r + 3, torch::kFloat32) * static_cast<double>(w) +
                          static_cast<double>(tri - w)),
         dist, "reduce_scatter");
  auto mine = torch::full({3}, static_cast<double>(r), dev);
  auto gathered = torch::empty({3 * w}, dev);
  dist.all_gather_async(gathered, mine)->wait();
  expect(gathered.cpu().equal(torch::arange(w, torch::kFloat32).repeat_interleave(3)), dist,
         "all_gather");
  auto b = torch::arange(10, torch::kFloat32) + static_cast<double>(r);
  dist.broadcast(b, w - 1);
  expect(b.equal(torch::arange(10, torch::kFloat32) + static_cast<double>(w - 1)), dist,
         "broadcast from the last rank");
  dist.barrier();
}

// The fixed global batch: (B, T) tokens in [1, V), sequences 0..2 start with 0.
torch::Tensor check_batch(uint64_t seed) {
  auto gen = make_generator(seed, "dist_check_batch");
  auto tokens = torch::randint(1, kV, {kB, kT}, gen, torch::kInt64);
  tokens.narrow(0, 0, 3).select(1, 0).zero_();
  return tokens;
}

struct Parity {
  double max_abs = 0, max_rel = 0;
  int64_t buckets = 0;
  int64_t overlapped = 0;
};

Parity check_grad_sync(CheckNet& net, const std::shared_ptr<Dist>& dist, uint64_t seed) {
  const int64_t w = dist->world_size(), r = dist->rank();
  torch::Tensor tokens = check_batch(seed);
  const double global_targets = static_cast<double>(kB * (kT - 1));
  GradSync sync(net->parameters(), dist, kCheckBucketMb);

  // Outside truth: the world-1 gradient of the whole batch (hooks are unarmed).
  net->zero_grad();
  (net->loss_sum(tokens) / global_targets).backward();
  std::vector<torch::Tensor> ref;
  for (auto& p : net->parameters())
    ref.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
  net->zero_grad();

  // This rank's contiguous shard, in two micro-batches; only the last is armed.
  int64_t lo = r * kB / w, hi = (r + 1) * kB / w;
  std::vector<torch::Tensor> micro;
  if (hi - lo >= 2) {
    int64_t mid = (lo + hi) / 2;
    micro = {tokens.slice(0, lo, mid), tokens.slice(0, mid, hi)};
  } else if (hi > lo) {
    micro = {tokens.slice(0, lo, hi)};
  }
  for (size_t i = 0; i < micro.size(); ++i) {
    if (i + 1 == micro.size()) sync.arm_for_last_micro_batch();
    (net->loss_sum(micro[i]) / global_targets).backward();
  }
  if (micro.empty()) sync.arm_for_last_micro_batch();
  sync.finish();

  Parity out;
  out.buckets = sync.num_buckets();
  out.overlapped = sync.overlapped_buckets();
  auto params = net->parameters();
  double max_ref = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    bool has = params[i].grad().defined();
    expect(has == ref[i].defined(), *dist,
           str_cat("gradient presence of parameter ", i, " (synced ", has, ", reference ",
                   ref[i].defined(), ")"));
    if (!has) continue;
    out.max_abs = std::max(out.max_abs, (params[i].grad() - ref[i]).abs().max().item<double>());
    max_ref = std::max(max_ref, ref[i].abs().max().item<double>());
  }
  out.max_rel = max_ref > 0 ? out.max_abs / max_ref : 0;
  return out;
}

// ZeRO (dist.shard=optimizer|gradients) against the world-1 truth: a second
// CheckNet with the same weights takes the whole batch and steps a replicated
// AdamW; the sharded net takes this rank's rows through a sharded GradSync and
// steps ShardedAdamW. Two steps with clipping (the expert used in the first
// only): the clip norms, the weights and the gathered optimizer state must
// agree (fp32 summation order only).
struct ShardParity {
  double norm_rel = 0, weight_rel = 0, state_rel = 0;
};

double max_rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  double scale = std::max(b.abs().max().item<double>(), 1e-12);
  return (a - b).abs().max().item<double>() / scale;
}

ShardParity check_sharded_step(const std::vector<torch::Tensor>& init,
                               const std::shared_ptr<Dist>& dist, uint64_t seed, ShardMode mode) {
  const int64_t w = dist->world_size(), r = dist->rank();
  const double global_targets = static_cast<double>(kB * (kT - 1));
  const double clip = 0.1, lr = 1e-2;
  CheckNet ref_net, net;
  std::vector<std::pair<std::string, torch::Tensor>> ref_named, named;
  {
    torch::NoGradGuard no_grad;
    auto rp = ref_net->parameters(), sp = net->parameters();
    for (size_t i = 0; i < init.size(); ++i) {
      rp[i].copy_(init[i]);
      sp[i].copy_(init[i]);
    }
  }
  for (auto& p : ref_net->named_parameters()) ref_named.emplace_back(p.key(), p.value());
  for (auto& p : net->named_parameters()) named.emplace_back(p.key(), p.value());
  const std::vector<std::string> no_decay = {"hidden.bias", "head.bias"};
  AdamW ref_opt(ref_named, no_decay, AdamWOptions{});
  GradSync sync(net->parameters(), dist, kCheckBucketMb, mode);
  ShardedAdamW opt(named, no_decay, AdamWOptions{}, sync, dist);
  const int64_t lo = r * kB / w, hi = (r + 1) * kB / w, mid = (lo + hi) / 2;
  ShardParity out;
  for (int step = 0; step < 2; ++step) {
    // The second step routes no sequence to the expert: its .grad in the
    // reference is defined but zero, so AdamW still moves it (momentum, decay);
    // the sharded step must do the same although no rank has a gradient for it.
    torch::Tensor tokens = check_batch(seed);
    if (step == 1) tokens.select(1, 0).fill_(1);
    ref_opt.zero_grad();
    (ref_net->loss_sum(tokens) / global_targets).backward();
    const double ref_norm = ref_opt.clip_grad_norm(clip);
    ref_opt.step(lr);

    opt.zero_grad();
    (net->loss_sum(tokens.slice(0, lo, mid)) / global_targets).backward();
    sync.arm_for_last_micro_batch();
    (net->loss_sum(tokens.slice(0, mid, hi)) / global_targets).backward();
    sync.finish();
    const double norm = opt.clip_grad_norm(clip);
    opt.step(lr);
    out.norm_rel = std::max(out.norm_rel, std::fabs(norm - ref_norm) / ref_norm);
  }
  for (size_t i = 0; i < named.size(); ++i)
    out.weight_rel = std::max(out.weight_rel, max_rel_diff(named[i].second, ref_named[i].second));
  auto state = opt.state_tensors();  // rank 0: full state
  auto ref_state = ref_opt.state_tensors();
  expect(dist->is_main() ? state.size() == ref_state.size() : state.empty(), *dist,
         "the gathered optimizer state's size");
  for (size_t i = 0; i < state.size(); ++i) {
    expect(state[i].first == ref_state[i].first, *dist, "the gathered optimizer state's names");
    if (ref_state[i].second.abs().max().item<double>() > 0)
      out.state_rel = std::max(out.state_rel, max_rel_diff(state[i].second, ref_state[i].second));
  }
  // Reshard the reference state: gathering it again gives it back exactly.
  std::map<std::string, torch::Tensor> full(ref_state.begin(), ref_state.end());
  opt.load_state(full, ref_opt.steps());
  auto again = opt.state_tensors();
  for (size_t i = 0; i < again.size(); ++i)
    expect(again[i].second.equal(ref_state[i].second), *dist, "load_state then state_tensors");
  return out;
}

struct Bandwidth {
  double seconds = 0, algbw = 0, busbw = 0;
};

Bandwidth measure_bandwidth(Dist& dist, int64_t bytes) {
  auto t = torch::ones({std::max<int64_t>(1, bytes / 4)}, torch::kFloat32).to(dist.device());
  for (int i = 0; i < 2; ++i) dist.all_reduce_sum(t);  // warm up connections
  dist.barrier();
  const int iters = 5;
  Stopwatch timer;
  for (int i = 0; i < iters; ++i) dist.all_reduce_sum_async(t)->wait();
  dist.barrier();
  double s = timer.seconds() /
             iters;
  Bandwidth bw;
  bw.seconds = s;
  bw.algbw = static_cast<double>(t.numel() * 4) / s / 1e9;
  const double w = static_cast<double>(dist.world_size());
  bw.busbw = bw.algbw * 2 * (w - 1) / w;  // nccl-tests' bus bandwidth for all-reduce
  return bw;
}

}  // namespace

int cmd_dist_check(const std::vector<std::string>& argv) {
  CommandLine cli("dist-check",
                  "Check the distributed setup: rendezvous, config hash, all_reduce/broadcast,\n"
                  "gradient synchronisation against a single-process gradient, all-reduce bandwidth.",
                  "Run it under a launcher, e.g.\n"
                  "  scripts/launch.sh --nproc_per_node 2 -- build/crossover dist-check\n"
                  "  torchrun --no_python --nproc_per_node=2 build/crossover dist-check");
  ConfigArgs config_args;
  add_config_args(cli, config_args, /*config_required=*/false);
  int64_t die_rank = -1, bytes = 33554432;
  double die_after_s = 0;
  cli.add_option("--die-rank", die_rank, "this rank exits abruptly (_Exit(1)) mid-way; -1 = none");
  cli.add_option("--die-after-s", die_after_s, "seconds the dying rank waits before exiting");
  cli.add_option("--bytes", bytes, "all-reduce size for the bandwidth measurement");
  if (!cli.parse_args(argv)) return 0;
  Config cfg = load_command_config(config_args);
  if (bytes < 4) throw UsageError("dist-check: --bytes must be at least 4");

  DistEnv env = read_dist_env();
  log_init(parse_log_level(cfg.runtime.log_level), static_cast<int>(env.rank));
  torch::Device device = setup_process(cfg.runtime, env);  // as train: cuda:LOCAL_RANK
  Stopwatch timer;
  auto dist = init_distributed(cfg.dist, device, env);
  dist->check_same(config_hash(cfg), "config hash");
  check_collectives(*dist);
  log_info("dist-check: config hash, all_reduce and broadcast ok");

  const uint64_t seed = static_cast<uint64_t>(cfg.run.seed);
  seed_global_generators(seed, "dist_check_init");
  CheckNet net;
  net->to(device);
  auto fresh = net->parameters();
  std::vector<torch::Tensor> init;
  for (auto& p : fresh) init.push_back(p.detach().clone());
  {  // Perturb every rank but 0; broadcast_parameters must undo it.
    torch::NoGradGuard no_grad;
    for (auto& p : fresh) p.add_(static_cast<double>(dist->rank()));
  }
  broadcast_parameters(*net, *dist);
  for (size_t i = 0; i < fresh.size(); ++i)
    expect(fresh[i].equal(init[i]), *dist, "broadcast_parameters");

  if (dist->rank() == die_rank) {
    std::this_thread::sleep_for(std::chrono::duration<double>(die_after_s));
    std::cerr << "dist-check: rank " << die_rank << " exits abruptly (--die-rank)" << std::endl;
    std::_Exit(1);
  }

  Parity parity = check_grad_sync(net, dist, seed);
  double failed = dist->all_reduce_sum(parity.max_rel > kGradRelTol ? 1.0 : 0.0);
  if (failed > 0)
    throw Error(str_cat("rank ", dist->rank(), ": dist-check: synchronised gradient differs from "
                        "the single-process gradient on ", failed, " rank(s): max abs err ",
                        parity.max_abs, ", rel ", parity.max_rel, " > tolerance ", kGradRelTol));
  std::ostringstream shard_line;
  shard_line.precision(3);
  for (ShardMode mode : {ShardMode::optimizer, ShardMode::gradients}) {
    if (!dist->enabled()) break;
    ShardParity sp = check_sharded_step(init, dist, seed, mode);
    const bool ok = sp.norm_rel <= kGradRelTol && sp.weight_rel <= kWeightRelTol &&
                    sp.state_rel <= kWeightRelTol;
    double bad = dist->all_reduce_sum(ok ? 0.0 : 1.0);
    if (bad > 0)
      throw Error(str_cat("rank ", dist->rank(), ": dist-check: dist.shard=", choice_name(mode),
                          " differs from the single-process AdamW step on ", bad,
                          " rank(s): clip norm rel ", sp.norm_rel, ", weights rel ", sp.weight_rel,
                          ", state rel ", sp.state_rel, " (tolerance ", kGradRelTol, " for the norm, ",
                          kWeightRelTol, " for weights and state)"));
    shard_line << "shard " << choice_name(mode) << " ok (norm rel " << sp.norm_rel
               << ", weights rel " << sp.weight_rel << ", state rel " << sp.state_rel << ") | ";
  }
  Bandwidth bw = dist->enabled() ? measure_bandwidth(*dist, bytes) : Bandwidth{};
  double elapsed =
      timer.seconds();
  if (dist->is_main()) {
    std::ostringstream line;
    line.precision(3);
    line << "dist-check ok: world " << dist->world_size() << " (" << dist->backend() << ", "
         << device << ") | config hash same | all_reduce+broadcast ok | grad parity max abs "
         << parity.max_abs << " rel " << parity.max_rel << " (tol " << kGradRelTol << ", "
         << parity.buckets << " buckets, " << parity.overlapped << " launched in backward) | ";
    line << shard_line.str();
    if (dist->enabled())
      line << "all_reduce " << human_count(static_cast<double>(bytes)) << "B: "
           << bw.seconds * 1e3 << " ms, algbw " << bw.algbw << " GB/s, busbw " << bw.busbw
           << " GB/s | ";
    line << elapsed << " s";
    std::cout << line.str() << std::endl;
  }
  return 0;
}

}  // namespace crossover
