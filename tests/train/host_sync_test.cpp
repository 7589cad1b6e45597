// Host syncs in the training step, counted on a CPU: every call site that
// would read a device value on a GPU (util/host_sync.h), and — an outside
// count that needs no cooperation from the code — every .item() the step
// makes, seen by an ATen RecordFunction observer on aten::_local_scalar_dense.
// The steady state of a step must read nothing; the trainer's one read every
// log_every steps (StepScalars::read) is the only one.
#include <ATen/record_function.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <cstring>

#include "crossover/config/loader.h"
#include "crossover/train/train_step.h"
#include "crossover/util/host_sync.h"

namespace crossover {
namespace {

std::atomic<int64_t> g_items{0};

// Counts .item() calls (any device) while alive.
class ItemCounter {
 public:
  ItemCounter() {
    handle_ = at::addGlobalCallback(
        at::RecordFunctionCallback(
            [](const at::RecordFunction& fn) -> std::unique_ptr<at::ObserverContext> {
              if (std::strcmp(fn.name(), "aten::_local_scalar_dense") == 0) ++g_items;
              return nullptr;
            })
            .scopes({at::RecordScope::FUNCTION}));
  }
  ~ItemCounter() { at::removeCallback(handle_); }

 private:
  at::CallbackHandle handle_;
};

Config tiny(const std::string& kind, const std::string& extra = "") {
  return load_config_from_string(
      "model:\n  d_model: 32\n  n_layers: 2\n  n_heads: 2\n  max_seq_len: 16\n" + extra +
          "objective:\n  kind: " + kind + "\n  short_seq_prob: 0.0\n"
          "data:\n  seq_len: 16\ntrain:\n  batch_size: 4\n  micro_batch_size: 2\n"
          "  total_tokens: 100000\n  grad_clip: 0.5\n",
      "host_sync_test.yaml");
}

struct Counts {
  int64_t sites = 0, items = 0;
};

// Syncs of `steps` train steps (after one warm-up step), then of one read.
void count_steps(const Config& cfg, int steps, Counts* in_steps, Counts* in_read) {
  TrainState st = make_train_state(cfg, 64, 63, torch::kCPU, nullptr);
  auto tokens = torch::arange(4 * 17).remainder(61).reshape({4, 17});  // (B, T+1)
  StepScalars scalars;
  scalars.add(train_step(st, tokens, 0, 100));
  scalars.read(nullptr, false);
  ItemCounter items;
  const int64_t s0 = host_sync_count(), i0 = g_items;
  for (int s = 1; s <= steps; ++s) scalars.add(train_step(st, tokens, s, 100));
  in_steps->sites = host_sync_count() - s0;
  in_steps->items = g_items - i0;
  const int64_t s1 = host_sync_count(), i1 = g_items;
  StepScalars::Readout r = scalars.read(nullptr, false);
  in_read->sites = host_sync_count() - s1;
  in_read->items = g_items - i1;
  ASSERT_EQ(r.losses.size(), static_cast<size_t>(steps));
  for (double l : r.losses) EXPECT_TRUE(std::isfinite(l));
  EXPECT_GT(r.grad_norm, 0);
}

TEST(HostSync, DenseStepsReadNothingUntilTheLogRead) {
  for (const char* kind : {"ar", "mdm", "ar_noise"}) {
    Config cfg = tiny(kind);
    if (kind == std::string("ar_noise")) cfg.objective.input_noise = 0.1;
    Counts steps, read;
    ASSERT_NO_FATAL_FAILURE(count_steps(cfg, 5, &steps, &read));
    std::cout << kind << ": 5 steps x 2 micro-batches: " << steps.sites << " counted sites, "
              << steps.items << " item(); one read: " << read.sites << " site, " << read.items
              << " item()\n";
    EXPECT_EQ(steps.sites, 0) << kind;
    EXPECT_EQ(steps.items, 0) << kind;
    EXPECT_EQ(read.sites, 1) << kind;
  }
}

// nan_policy=skip must know before the update: exactly one read per step.
TEST(HostSync, SkipPolicyReadsOncePerStep) {
  Config cfg = tiny("ar");
  cfg.train.nan_policy = NanPolicy::kSkip;
  Counts steps, read;
  ASSERT_NO_FATAL_FAILURE(count_steps(cfg, 5, &steps, &read));
  EXPECT_EQ(steps.sites, 5);
}

// MoE still reads its per-expert counts: one per MoE layer and micro-batch.
TEST(HostSync, MoeReadsItsExpertCountsPerLayer) {
  Config cfg = tiny("ar", "  moe_experts: 4\n  moe_top_k: 1\n");
  Counts steps, read;
  ASSERT_NO_FATAL_FAILURE(count_steps(cfg, 5, &steps, &read));
  EXPECT_EQ(steps.sites, 5 * 2 * 2);  // steps x micro-batches x layers
}

}  // namespace
}  // namespace crossover
