// mdm_objective.h — masked diffusion (MDM / DLM) with the linear schedule:
// training batches and the evaluation estimators.
//
// Training. Per row a masking rate t ∈ (ε, 1] (independent U(ε,1], or
// stratified / antithetic across the batch: t_i = ε + (1−ε)·((u + i/B) mod 1)
// with one u); each token is replaced by [MASK] with probability t; the model,
// attending bidirectionally, predicts the original token in place. Weights:
//   inv_t        mask / t                   (MDLM / SMDM / LLaDA; unbiased ELBO)
//   inv_realised mask · L / (#masked in row)  (the paper's code)
// With inv_realised a row with no masked token gets one at a uniformly random
// position (the paper's code). inv_realised is NOT an unbiased estimate of the
// ELBO. With t uniform the masked count k is (nearly) uniform on 0..L, and
//   −ELBO = Σ_{k=1..L} a_k,  a_k = the mean per-token loss when k are masked;
// inv_realised's mean is L/(L+1)·(Σ_k a_k + a_1): the k = 0 rows come back as
// forced one-mask rows. The two agree only when a_1 = mean_k a_k (a model that
// ignores its context); for a model whose loss falls with more context (a_1
// smallest, any trained model) inv_realised is biased low. With inv_t no token
// is forced: a forced token would carry weight 1/t ≈ 1/ε. tests/objective
// check both means against their exact values enumerated over every mask of a
// context-dependent toy model.
//
// Validation (validation_loss_sums): the negative ELBO of x_1..x_T,
//   −ELBO = E_t[ (1/t) Σ_{masked i} −log p(x_i | x_t) ],
// an upper bound on their NLL given nothing else, estimated with K Monte Carlo
// masks per window, t stratified across the K samples (t_k = ε + (1−ε)·frac(u
// + k/K)), and common random numbers: window w (its index in the whole
// validation set) draws u and its K·T mask uniforms on the CPU from the
// generator (seed, "val_window", w). The masks thus depend on neither the run,
// the batch size, the rank count nor the device. The output head runs at
// masked positions only.
//
// Conditional log-likelihood (loglik_samples): LLaDA's Monte Carlo estimate of
// the conditional ELBO, masking only continuation tokens. With L continuation
// tokens and N samples, sample i masks l_i of them, the counts stratified over
// 1..L: l_i = 1 + ⌊L·frac(u + i/N)⌋ with one u ~ U[0,1);
//   −log p(answer | context) ≈ (1/N) Σ_i (L/l_i) Σ_{masked j} −log p(x_j | x_masked).
// This is an upper bound on the exact −log p (an ELBO); for L = 1 it is exact
// (−log p(x | context, [MASK])), so one sample is used whatever N is.
// Common random numbers across the choices of an item: u is drawn from a
// generator keyed by (seed, item), and sample i masks the l_i continuation
// positions with the smallest uniforms r_i(j), where r_·(j) comes from a
// generator keyed by (seed, item, j) — never by the choice. Every choice of an
// item therefore sees the same strata, two choices of equal length the same
// masks, and two choices of different lengths agree position by position as far
// as their counts allow; the choices' scores then differ by the model, not by
// the draws. The masked set is still a uniform l_i-subset (ranks of i.i.d.
// uniforms), so each choice's estimate is unbiased. Rows of all requests with
// equal length (every request, with pad_to: right-padded with [MASK], as SMDM
// scores) share forward passes of max_batch_tokens; the head and the softmax
// run only at masked continuation positions.
#pragma once

#include <vector>

#include "crossover/objective/objective.h"

namespace crossover {

class MdmObjective : public Objective {
 public:
  MdmObjective(const ObjectiveConfig& cfg, int64_t mask_id);
  bool causal() const override { return false; }
  std::string name() const override { return "mdm"; }
  Paradigm paradigm() const override { return Paradigm::masked_diffusion(cfg_.mask_eps); }
  int64_t step_seq_len(int64_t T, torch::Generator& step_gen) const override;
  ObjectiveBatch prepare(const torch::Tensor& tokens, int64_t seq_len,
                         torch::Generator& gen) const override;
  int64_t validation_samples(int64_t mc_samples) const override;
  torch::Tensor validation_loss_sums(TransformerImpl& model, const torch::Tensor& windows,
                                     int64_t first, const EstimateOptions& o) const override;
  std::vector<std::vector<double>> loglik_samples(TransformerImpl& model,
                                                  const std::vector<LoglikRequest>& requests,
                                                  const EstimateOptions& o,
                                                  torch::Device device) const override;

  // Masking rates for B rows, (B) float32 on gen's device.
  torch::Tensor sample_t(int64_t B, torch::Generator& gen) const;

 private:
  ObjectiveConfig cfg_;
  int64_t mask_id_;
};

// The deterministic half of MdmObjective::prepare: given clean tokens x0 (B, L),
// a mask (B, L) bool and rates t (B), builds inputs = where(mask, mask_id, x0),
// targets = x0 and the weights of `weighting` (inv_t | inv_realised). Used by
// the PyTorch-parity test with masks drawn in Python.
// n masking rates, (n) float32 on gen's device: independent, hi − (hi − lo)·U
// in (lo, hi], or stratified, lo + (hi − lo)·frac(u + i/n) with one u. mdm
// draws (mask_eps, 1]; bd3 the same range clipped to [t_min, t_max].
torch::Tensor sample_masking_rates(int64_t n, torch::Generator& gen, double lo, double hi,
                                   bool stratified);

ObjectiveBatch mdm_batch_from_mask(const torch::Tensor& x0, const torch::Tensor& mask,
                                   const torch::Tensor& t, Weighting weighting,
                                   int64_t mask_id);

// The validation masks of b windows starting at window `first` (above): masks
// (K, b, T) bool and rates t (K, b) float64, on the CPU.
void mdm_validation_masks(uint64_t seed, int64_t first, int64_t b, int64_t T, int64_t K,
                          double eps, torch::Tensor* masks, torch::Tensor* t);

// The Monte Carlo masks of one log-likelihood request over its continuation:
// (N, L) bool, N = mc_samples (1 when L = 1), row i masking l_i positions
// (above), and in *weights the N factors L / l_i. A pure function of (seed,
// item, N, L).
torch::Tensor mdm_answer_masks(const LoglikRequest& req, int64_t mc_samples, uint64_t seed,
                               std::vector<double>* weights);

}  // namespace crossover
