// Parity with an independent PyTorch implementation (tests/reference/model_ref.py):
// same weights, same inputs (for MDM the same mask, drawn in Python and passed
// as data) -> logits, loss and every parameter gradient agree in float32.
// bd3: the reference builds x_t ⊕ x_0, BD3-LM's 2T attention mask from its
// definition and the repeated RoPE positions itself; crossover's batch comes
// from bd3_batch_from_mask on the same mask and t, its mask from
// attention_mask(bd3_train(4)).
//
// Metric: rel_err(a, b) = max|a − b| / max|b| per tensor (relative to the
// reference tensor's largest magnitude, so tiny entries do not blow it up);
// every tensor must be <= 1e-5.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "crossover/io/safetensors.h"
#include "crossover/model/transformer.h"
#include "crossover/objective/ar_objective.h"
#include "crossover/objective/bd3_objective.h"
#include "crossover/objective/mdm_objective.h"
#include "crossover/util/rng.h"
#include "crossover/util/strings.h"
#include "reference_fixture.h"

namespace crossover {
namespace {
using crossover::testing::load_reference_params;
using crossover::testing::ReferenceSuite;
using crossover::testing::rel_err;

constexpr double kTol = 1e-5;

class Parity : public ReferenceSuite<Parity> {
 public:
  static constexpr const char* kScript = "model_ref.py";
  static constexpr const char* kArgs = "parity";

 protected:
  void run_case(const std::string& name) {
    ASSERT_TRUE(ref_->ok) << ref_->out;
    std::map<std::string, std::string> meta;
    auto fx = load_safetensors(ref_->dir.file(name + ".safetensors"), &meta);
    auto o = nlohmann::json::parse(meta.at("options"));
    auto opts = TransformerOptions(o["vocab_size"], o["d_model"])
                    .n_layers(o["n_layers"]).n_heads(o["n_heads"]).n_kv_heads(o["n_kv_heads"])
                    .d_ff(o["d_ff"]).max_seq_len(o["max_seq_len"]).rope_theta(o["rope_theta"])
                    .norm_eps(o["norm_eps"]).qk_norm(o["qk_norm"]).bias(o["bias"])
                    .tie_embeddings(o["tie_embeddings"]).moe_experts(o["moe_experts"])
                    .moe_top_k(o["moe_top_k"]).moe_aux_coef(o["moe_aux_coef"])
                    .moe_z_coef(o["moe_z_coef"]);
    Transformer model(opts);
    const size_t n_params = load_reference_params(*model, fx, "param/");
    ASSERT_FALSE(HasFailure());

    bool causal = meta.at("causal") == "1";
    int64_t mask_id = std::stoll(meta.at("mask_id"));
    auto tokens = fx.at("tokens");
    int64_t B = tokens.size(0), T = tokens.size(1) - 1;
    ObjectiveBatch batch;
    if (meta.at("kind") == "ar") {
      auto gen = make_generator(0, "unused");
      batch = ArObjective().prepare(tokens, T, gen);
    } else if (meta.at("kind") == "bd3") {
      const int64_t b = std::stoll(meta.at("block_size"));
      batch = bd3_batch_from_mask(tokens.slice(1, 0, T), fx.at("mask"), fx.at("t"), b, mask_id);
      EXPECT_TRUE(torch::equal(attention_mask(batch.layout, 2 * T, torch::kCPU), fx.at("allowed")))
          << "bd3_train(" << b << ") mask differs from BD3-LM's definition";
    } else {
      batch = mdm_batch_from_mask(tokens.slice(1, 0, T), fx.at("mask"), fx.at("t"), Weighting::kInvT, mask_id);
    }
    ASSERT_EQ(batch.causal, causal);
    EXPECT_TRUE(torch::equal(batch.inputs, fx.at("inputs")));
    EXPECT_TRUE(torch::equal(batch.targets, fx.at("targets")));
    EXPECT_LE(rel_err(batch.weights, fx.at("weights")), 1e-7);

    auto out = model(batch.inputs, batch.layout);
    auto loss = objective_loss_sum(out.logits, batch) / static_cast<double>(B * T) + out.aux_loss;
    loss.backward();
    double e_logits = rel_err(out.logits, fx.at("logits"));
    double e_loss = rel_err(loss, fx.at("loss"));
    double e_aux = rel_err(out.aux_loss, fx.at("aux_loss"));
    double e_grad = 0;
    std::string worst;
    for (const auto& item : model->named_parameters()) {
      double e = rel_err(item.value().grad(), fx.at("grad/" + item.key()));
      EXPECT_LE(e, kTol) << "gradient of " << item.key();
      if (e >= e_grad) {
        e_grad = e;
        worst = item.key();
      }
    }
    EXPECT_LE(e_logits, kTol);
    EXPECT_LE(e_loss, kTol);
    if (opts.moe_experts() > 0) {
      EXPECT_LE(e_aux, kTol);
    }
    std::cout << "[parity " << name << "] max rel err: logits " << e_logits << ", loss " << e_loss
              << " (loss " << loss.item<double>() << "), aux " << e_aux << ", grads " << e_grad
              << " (worst " << worst << ", " << n_params << " tensors)\n";
  }
};

TEST_F(Parity, ArDenseGqaQkNorm) { run_case("ar"); }
TEST_F(Parity, MdmBidirectionalTiedWithBiases) { run_case("mdm"); }
TEST_F(Parity, MoeTopTwoWithAuxLoss) { run_case("moe"); }
TEST_F(Parity, Bd3VectorisedTrainingLossBlockFour) { run_case("bd3"); }

}  // namespace
}  // namespace crossover
