// Golden training losses from outside crossover (llm.c's debug-state check):
// tests/reference/golden_ref.py trains the independent PyTorch model with
// torch.optim.AdamW for 10 steps and writes the initial weights, the windows of
// every step, the losses and the final weights. Here crossover's own
// make_train_state() + train_step() (objective, micro-batching, loss
// normalisation, MoE aux weighting, clipping, AdamW, learning-rate schedule,
// mask streams) start from those weights, take the same windows, and must
// reproduce every loss and the final weights.
//
// tests/fixtures/golden/<case>.json holds the reference's losses as committed
// (scripts/update_golden.sh rewrites them from the script); the fresh run of
// the script must still produce them, so a changed reference shows in review.
//
// Tolerances: losses rel 2e-4 per step, final weights max|Δ| / max|w| <= 2e-4
// (float32; the reference computes attention as an explicit softmax).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "crossover/config/loader.h"
#include "crossover/io/safetensors.h"
#include "crossover/train/train_step.h"
#include "crossover/util/strings.h"
#include "reference_fixture.h"

namespace crossover {
namespace {
using crossover::testing::load_reference_params;
using crossover::testing::ReferenceSuite;
using crossover::testing::rel_err;

constexpr double kLossTol = 2e-4, kWeightTol = 2e-4;

class GoldenRef : public ReferenceSuite<GoldenRef> {
 public:
  static constexpr const char* kScript = "golden_ref.py";
  static constexpr const char* kArgs = "";

 protected:
  void run_case(const std::string& name) {
    ASSERT_TRUE(ref_->ok) << ref_->out;
    std::map<std::string, std::string> meta;
    auto fx = load_safetensors(ref_->dir.file(name + ".safetensors"), &meta);
    Config cfg = load_config_from_string(meta.at("config"), "golden_ref.py:" + name);
    const int64_t mask_id = std::stoll(meta.at("mask_id"));
    TrainState st = make_train_state(cfg, cfg.model.vocab_size, mask_id, torch::kCPU, nullptr);
    const size_t n_params = load_reference_params(*st.model, fx, "init/");
    ASSERT_FALSE(HasFailure());

    auto windows = fx.at("windows");                // (S, B, T+1)
    auto want = fx.at("loss");                      // (S) float64
    auto want_len = fx.at("seq_len");               // (S) int64
    const int64_t S = windows.size(0);
    ASSERT_EQ(S, want.size(0));
    double worst = 0;
    int64_t short_steps = 0;
    for (int64_t s = 0; s < S; ++s) {
      StepStats r = train_step(st, windows[s], s, S);
      ASSERT_FALSE(r.skipped) << "step " << s;
      EXPECT_EQ(r.seq_len, want_len[s].item<int64_t>()) << "step " << s;
      short_steps += r.seq_len < windows.size(2) - 1;
      const double w = want[s].item<double>();
      const double loss = r.loss.item<double>();
      const double e = std::fabs(loss - w) / std::max(1.0, std::fabs(w));
      EXPECT_LE(e, kLossTol) << name << " step " << s + 1 << ": crossover " << loss
                             << ", reference " << w;
      worst = std::max(worst, e);
    }
    double worst_w = 0;
    for (auto& item : st.model->named_parameters()) {
      double e = rel_err(item.value(), fx.at("final/" + item.key()));
      EXPECT_LE(e, kWeightTol) << "final weight " << item.key();
      worst_w = std::max(worst_w, e);
    }
    // The committed loss file is what this reference produces.
    auto committed = nlohmann::json::parse(
        crossover::testing::read_file(crossover::testing::source_path("tests/fixtures/golden/" + name + ".json")));
    auto fresh = nlohmann::json::parse(crossover::testing::read_file(ref_->dir.file(name + ".json")));
    ASSERT_EQ(committed.size(), fresh.size()) << name;
    for (size_t i = 0; i < fresh.size(); ++i) {
      EXPECT_EQ(committed[i][0], fresh[i][0]);
      EXPECT_NEAR(committed[i][1].get<double>(), fresh[i][1].get<double>(), 1e-5)
          << "tests/fixtures/golden/" << name << ".json step " << fresh[i][0]
          << " (hint: scripts/update_golden.sh after an intended change to golden_ref.py)";
    }
    std::cout << "[golden " << name << "] " << S << " steps (" << short_steps
              << " shorter), max rel loss err " << worst << ", final weights " << worst_w
              << " over " << n_params << " tensors\n";
  }
};

TEST_F(GoldenRef, ArTenStepsMatchTheReference) { run_case("ar"); }
TEST_F(GoldenRef, MdmTenStepsMatchTheReference) { run_case("mdm"); }
TEST_F(GoldenRef, MdmMoeTenStepsMatchTheReference) { run_case("mdm_moe"); }

}  // namespace
}  // namespace crossover
