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
#include "test_util.h"

namespace crossover {
namespace {

constexpr double kLossTol = 2e-4, kWeightTol = 2e-4;

double rel_err(const torch::Tensor& a, const torch::Tensor& b) {
  double scale = b.abs().max().item<double>();
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>() /
         std::max(scale, 1e-30);
}

class GoldenRef : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new crossover::testing::TempDir();
    auto r = crossover::testing::run_shell(str_cat(
        CROSSOVER_PYTHON, " ", crossover::testing::source_path("tests/reference/golden_ref.py"),
        " --out ", dir_->path().string(), " --json ", dir_->path().string()));
    python_ok_ = r.exit_code == 0;
    python_out_ = r.out;
  }
  static void TearDownTestSuite() { delete dir_; }

  void run_case(const std::string& name) {
    ASSERT_TRUE(python_ok_) << python_out_;
    std::map<std::string, std::string> meta;
    auto fx = load_safetensors(dir_->file(name + ".safetensors"), &meta);
    Config cfg = load_config_from_string(meta.at("config"), "golden_ref.py:" + name);
    const int64_t mask_id = std::stoll(meta.at("mask_id"));
    TrainState st = make_train_state(cfg, cfg.model.vocab_size, mask_id, torch::kCPU, nullptr);
    size_t n_params = 0;
    {
      torch::NoGradGuard g;
      for (auto& item : st.model->named_parameters()) {
        auto it = fx.find("init/" + item.key());
        ASSERT_NE(it, fx.end()) << "no reference weight for " << item.key();
        ASSERT_EQ(it->second.sizes(), item.value().sizes()) << item.key();
        item.value().copy_(it->second);
        ++n_params;
      }
    }
    size_t n_ref = 0;
    for (const auto& kv : fx) n_ref += kv.first.rfind("init/", 0) == 0;
    ASSERT_EQ(n_params, n_ref) << "parameter sets differ";

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
      const double e = std::fabs(r.loss - w) / std::max(1.0, std::fabs(w));
      EXPECT_LE(e, kLossTol) << name << " step " << s + 1 << ": crossover " << r.loss
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
    auto fresh = nlohmann::json::parse(crossover::testing::read_file(dir_->file(name + ".json")));
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

  static crossover::testing::TempDir* dir_;
  static bool python_ok_;
  static std::string python_out_;
};
crossover::testing::TempDir* GoldenRef::dir_ = nullptr;
bool GoldenRef::python_ok_ = false;
std::string GoldenRef::python_out_;

TEST_F(GoldenRef, ArTenStepsMatchTheReference) { run_case("ar"); }
TEST_F(GoldenRef, MdmTenStepsMatchTheReference) { run_case("mdm"); }
TEST_F(GoldenRef, MdmMoeTenStepsMatchTheReference) { run_case("mdm_moe"); }

}  // namespace
}  // namespace crossover
