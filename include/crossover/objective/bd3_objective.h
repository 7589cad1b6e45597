// bd3_objective.h — block diffusion (BD3-LM, Arriola et al. 2025): blocks of
// b tokens left to right, masked diffusion inside a block.
//
//   log p(x) = Σ_k log p(x^k | x^{<k}),  each term bounded by a masked-
//   diffusion NELBO conditioned on the clean earlier blocks:
//   −log p(x^k | x^{<k}) ≤ E_t[ (1/t) Σ_{i ∈ k masked} −log p(x_i | x_t^k, x^{<k}) ].
// b = 1 is AR (a one-token block masked, given the clean prefix: exact),
// b = T is mdm (one block).
//
// Training, BD3-LM's vectorised form: the model reads x_t ⊕ x_0 (B, 2T),
// layout bd3_train(b) (model/attention_layout.h): noisy block k attends to
// itself and to clean blocks < k; the clean half is block-causal; RoPE
// positions repeat. One masking rate t per (row, block), drawn like mdm's
// (independent U(ε, 1], or stratified across the B·(T/b) blocks of the
// micro-batch) and clipped to [max(ε, t_min), t_max] (BD3-LM's clipped
// schedule); each token of the block masked with probability t; weight 1/t
// at masked positions of the noisy half, 0 on the clean half. The trainer's
// loss contract is unchanged (Σ weights·CE / (B·T): T targets per row, not
// 2T), so the loss is a Monte Carlo estimate of the NELBO per token. Cost:
// every linear layer sees 2T positions per row, so FLOPs per target token are
// about twice AR's (compute_multiplier() = 2; logged MFU counts it).
// With b = T and no clipping the draws and the loss equal mdm's inv_t loss on
// the same generator (tests/objective).
//
// Validation: Σ over blocks of the per-block bound, estimated with mdm's CRN
// draws (mdm_validation_masks: window w's K masks and stratified t from the
// generator (seed, "val_window", w)) — one t per (sample, row) shared by its
// blocks (each block's term stays unbiased) — and one forward of the 2T layout
// per sample. Evaluation always uses the full range (ε, 1], never the clip.
// b = T gives exactly mdm's numbers; b = 1 with every token masked is the
// model's exact left-to-right NLL.
//
// Conditional log-likelihood: tokens at absolute positions 0..n−1 of the
// request, blocks of b from position 0. Context tokens are never masked (the
// boundary block keeps its context tokens clean in the noisy copy); each
// block k holding L_k continuation tokens gets mdm's stratified count draw
// l_ik in 1..L_k and weight L_k/l_ik per sample i, so a sample estimates
// −Σ_k (L_k/l_ik) Σ_{masked j ∈ k} −log p(x_j | ·). Common random numbers
// across an item's choices as mdm: position j's uniforms come from (seed,
// item, j) and the first continuation block's offset from mdm's own key (so a
// one-block request gives mdm's estimate exactly); later blocks' offsets from
// (seed, "bd3_task_offset", item, k). A one-token continuation is exact.
#pragma once

#include "crossover/objective/objective.h"

namespace crossover {

class Bd3Objective : public Objective {
 public:
  Bd3Objective(const ObjectiveConfig& cfg, int64_t mask_id);
  bool causal() const override { return false; }
  std::string name() const override { return "bd3"; }
  Paradigm paradigm() const override {
    return Paradigm::block_diffusion(cfg_.block_size, cfg_.mask_eps);
  }
  double compute_multiplier() const override { return 2.0; }
  // T: short sequences (mdm's short_seq_prob) do not apply to blocks.
  int64_t step_seq_len(int64_t T, torch::Generator& step_gen) const override { return T; }
  ObjectiveBatch prepare(const torch::Tensor& tokens, int64_t seq_len,
                         torch::Generator& gen) const override;
  int64_t validation_samples(int64_t mc_samples) const override;
  torch::Tensor validation_loss_sums(TransformerImpl& model, const torch::Tensor& windows,
                                     int64_t first, const EstimateOptions& o) const override;
  std::vector<std::vector<double>> loglik_samples(TransformerImpl& model,
                                                  const std::vector<LoglikRequest>& requests,
                                                  const EstimateOptions& o,
                                                  torch::Device device) const override;

  int64_t block_size() const { return cfg_.block_size; }
  // Masking rates of n blocks, (n) float32 on gen's device, in [lo, hi].
  torch::Tensor sample_t(int64_t n, torch::Generator& gen) const;

 private:
  ObjectiveConfig cfg_;
  int64_t mask_id_;
};

// The 2T training row of x0 (R, T) int64 with `mask` (R, T) bool on its noisy
// copy: [where(mask, [MASK], x0) | x0], (R, 2T).
torch::Tensor bd3_inputs(const torch::Tensor& x0, const torch::Tensor& mask, int64_t mask_id);

// The training batch of x0 (B, T) int64 with the noisy copy's `mask` (B, T)
// bool and the blocks' masking rates t (B, T/b): inputs bd3_inputs(), targets
// x0 ⊕ x0, weights mask/t on the noisy half and 0 on the clean half, layout
// bd3_train(b). prepare() draws mask and t and calls this; the PyTorch
// parity test passes its own.
ObjectiveBatch bd3_batch_from_mask(const torch::Tensor& x0, const torch::Tensor& mask,
                                   const torch::Tensor& t, int64_t block_size, int64_t mask_id);

// −log p(x0_i | ·) at the masked positions of the noisy half under the
// bd3_train(b) layout, (M) float64, with each position's row in *row and
// column (0..T−1) in *col. x0, mask (R, T) on the model's device.
torch::Tensor bd3_masked_nll(TransformerImpl& model, const torch::Tensor& x0,
                             const torch::Tensor& mask, int64_t block_size, int64_t mask_id,
                             bool bf16, torch::Tensor* row, torch::Tensor* col = nullptr);

}  // namespace crossover
