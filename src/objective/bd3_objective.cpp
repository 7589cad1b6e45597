// bd3_objective.cpp — block-diffusion training rows (x_t ⊕ x_0), the validation
// NELBO over blocks and the block-wise conditional ELBO (bd3_objective.h).
#include "crossover/objective/bd3_objective.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "crossover/model/output_head.h"
#include "crossover/model/transformer.h"
#include "crossover/objective/mdm_objective.h"
#include "crossover/util/autocast.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {

torch::Tensor bd3_inputs(const torch::Tensor& x0, const torch::Tensor& mask, int64_t mask_id) {
  auto noisy = torch::where(mask, torch::full({}, mask_id, x0.options()), x0);  // (R, T)
  return torch::cat({noisy, x0}, 1);                                            // (R, 2T)
}

torch::Tensor bd3_masked_nll(TransformerImpl& model, const torch::Tensor& x0,
                             const torch::Tensor& mask, int64_t block_size, int64_t mask_id,
                             bool bf16, torch::Tensor* row, torch::Tensor* col) {
  auto inputs = bd3_inputs(x0, mask, mask_id);  // (R, 2T)
  auto idx = torch::nonzero(mask);              // (M, 2): noisy-half positions
  *row = idx.select(1, 0);
  auto c = idx.select(1, 1);                    // (M)
  if (col) *col = c;
  torch::Tensor logits;
  {
    AutocastScope autocast(bf16);
    auto hidden = transformer_hidden(model, inputs, AttentionLayout::bd3_train(block_size));  // (R, 2T, C)
    logits = transformer_head(model, hidden.index({*row, c}));  // (M, V)
  }
  return token_nll(logits, x0.index({*row, c}));  // (M)
}

Bd3Objective::Bd3Objective(const ObjectiveConfig& cfg, int64_t mask_id)
    : cfg_(cfg), mask_id_(mask_id) {
  CROSSOVER_CHECK(mask_id >= 0, "bd3 needs the tokenizer's [MASK] id, got ", mask_id,
                  "; hint: prepare the dataset with a tokenizer that reserves [MASK]");
  CROSSOVER_CHECK(cfg.block_size >= 1, "objective.kind=bd3 needs objective.block_size >= 1");
  CROSSOVER_CHECK(cfg.weighting == Weighting::kInvT, "objective.kind=bd3 weights by 1/t (weighting: inv_t), got '",
                  cfg.weighting, "'");
  CROSSOVER_CHECK(cfg.t_min < cfg.t_max, "objective.t_min=", cfg.t_min, " must be below t_max=",
                  cfg.t_max);
}

torch::Tensor Bd3Objective::sample_t(int64_t n, torch::Generator& gen) const {
  // mdm's draws, clipped: unclipped they are mdm's (ε, 1] exactly.
  return sample_masking_rates(n, gen, std::max(cfg_.mask_eps, cfg_.t_min), cfg_.t_max,
                              cfg_.t_sampling == TSampling::kStratified);
}

ObjectiveBatch Bd3Objective::prepare(const torch::Tensor& tokens, int64_t seq_len,
                                     torch::Generator& gen) const {
  CROSSOVER_CHECK(tokens.dim() == 2 && seq_len >= 1 && seq_len <= tokens.size(1),
                  "bd3 needs (B, T[+1]) tokens with seq_len <= T, got ", tokens.sizes(),
                  " and seq_len=", seq_len);
  const int64_t b = cfg_.block_size, T = seq_len, B = tokens.size(0);
  CROSSOVER_CHECK(T % b == 0, "bd3: sequence length ", T, " is not a multiple of objective.block_size=", b);
  const int64_t nb = T / b;
  auto x0 = tokens.slice(1, 0, T);                                              // (B, T)
  auto t = sample_t(B * nb, gen).view({B, nb});                                  // (B, nb)
  auto u = torch::rand({B, T}, gen, torch::TensorOptions().device(gen.device()));
  auto mask = u < t.repeat_interleave(b, 1);                                     // (B, T)
  return bd3_batch_from_mask(x0, mask, t, b, mask_id_);
}

ObjectiveBatch bd3_batch_from_mask(const torch::Tensor& x0, const torch::Tensor& mask,
                                   const torch::Tensor& t, int64_t block_size, int64_t mask_id) {
  const int64_t T = x0.size(1);
  CROSSOVER_CHECK(mask.sizes() == x0.sizes() && t.dim() == 2 && t.size(0) == x0.size(0) &&
                      t.size(1) * block_size == T,
                  "bd3 batch: x0 ", x0.sizes(), ", mask ", mask.sizes(), " and t ", t.sizes(),
                  " do not fit blocks of ", block_size);
  auto t_tok = t.to(torch::kFloat32).repeat_interleave(block_size, 1);          // (B, T)
  const bool nbk = x0.device().is_cuda();
  auto dmask = mask.to(x0.device(), nbk);
  ObjectiveBatch out;
  out.inputs = bd3_inputs(x0, dmask, mask_id);                                   // (B, 2T)
  out.targets = torch::cat({x0, x0}, 1);                                         // (B, 2T)
  auto w = mask.to(torch::kFloat32) / t_tok.to(mask.device());                   // (B, T)
  out.weights = torch::cat({w, torch::zeros_like(w)}, 1).to(x0.device(), nbk);   // (B, 2T)
  out.causal = false;
  out.layout = AttentionLayout::bd3_train(block_size);
  out.sparse = true;
  if (mask.device().is_cpu()) {  // the supervised flat positions of the (B, 2T) rows, on the host
    auto idx = torch::nonzero(mask);                                             // (M, 2)
    auto flat = idx.select(1, 0) * (2 * T) + idx.select(1, 1);                   // (M)
    out.supervised = flat.to(x0.device(), nbk);
  }
  return out;
}

int64_t Bd3Objective::validation_samples(int64_t mc_samples) const {
  return std::max<int64_t>(mc_samples, 1);
}

torch::Tensor Bd3Objective::validation_loss_sums(TransformerImpl& model, const torch::Tensor& windows,
                                                 int64_t first, const EstimateOptions& o) const {
  const int64_t b = windows.size(0), T = windows.size(1) - 1;
  const int64_t K = validation_samples(o.mc_samples);
  CROSSOVER_CHECK(T % cfg_.block_size == 0, "bd3 validation: window length ", T,
                  " is not a multiple of objective.block_size=", cfg_.block_size);
  auto targets = windows.narrow(1, 1, T);  // (b, T): x_1..x_T, as AR and mdm score
  torch::Tensor masks, t;                  // (K, b, T) bool, (K, b) float64: mdm's draws
  mdm_validation_masks(o.seed, first, b, T, K, cfg_.mask_eps, &masks, &t);
  masks = masks.to(windows.device());
  t = t.to(windows.device());
  auto sums = torch::zeros({K}, torch::kFloat64);
  auto acc = sums.accessor<double, 1>();
  for (int64_t k = 0; k < K; ++k) {  // Σ_rows Σ_blocks (1/t) Σ_{masked} −log p(x | x_t^blk, x^{<blk})
    torch::Tensor row;
    auto nll = bd3_masked_nll(model, targets, masks[k], cfg_.block_size, mask_id_, o.bf16, &row);
    acc[k] = (nll / t[k].index({row})).sum().item<double>();
  }
  return sums;
}

namespace {

// The N answer masks of a request over its n tokens, (N, n) bool, and the
// per-(sample, position) weights (N, n) float64 (L_k / l_ik at a masked
// continuation position of block k, 0 elsewhere). See bd3_objective.h.
void bd3_answer_masks(const LoglikRequest& req, int64_t N, int64_t block, uint64_t seed,
                      torch::Tensor* mask, torch::Tensor* weight) {
  const int64_t n = static_cast<int64_t>(req.tokens.size()), c = req.n_context;
  const int64_t L = n - c;
  *mask = torch::zeros({N, n}, torch::kBool);
  *weight = torch::zeros({N, n}, torch::kFloat64);
  // r[:, j] of continuation token j from (seed, item, j): shared by the choices.
  std::vector<torch::Tensor> cols;
  for (int64_t j = 0; j < L; ++j) {
    auto g = make_generator(seed, "task_mc_position", req.item, j);
    cols.push_back(torch::rand({N}, g, torch::kFloat64));
  }
  auto r = torch::stack(cols, 1);  // (N, L)
  const int64_t k_first = c / block, k_last = (n - 1) / block;
  for (int64_t k = k_first; k <= k_last; ++k) {
    const int64_t lo = std::max(c, k * block), hi = std::min(n, (k + 1) * block);  // [lo, hi)
    const int64_t Lk = hi - lo;
    auto ugen = k == k_first ? make_generator(seed, "task_mc_offset", req.item)
                             : make_generator(seed, "bd3_task_offset", req.item, k);
    const double u = torch::rand({1}, ugen, torch::kFloat64).item<double>();
    auto rank = r.narrow(1, lo - c, Lk).argsort(false, 1).argsort(false, 1);  // (N, Lk)
    for (int64_t i = 0; i < N; ++i) {
      double frac = u + static_cast<double>(i) / static_cast<double>(N);
      frac -= std::floor(frac);
      const int64_t l = std::min<int64_t>(Lk, 1 + static_cast<int64_t>(std::floor(frac * Lk)));
      auto m = rank[i] < l;                                          // (Lk)
      mask->select(0, i).narrow(0, lo, Lk).copy_(m);
      weight->select(0, i).narrow(0, lo, Lk).copy_(m.to(torch::kFloat64) *
                                                   (static_cast<double>(Lk) / static_cast<double>(l)));
    }
  }
}

}  // namespace

std::vector<std::vector<double>> Bd3Objective::loglik_samples(
    TransformerImpl& model, const std::vector<LoglikRequest>& requests, const EstimateOptions& o,
    torch::Device device) const {
  std::vector<std::vector<double>> est(requests.size());
  for (size_t q = 0; q < requests.size(); ++q) {
    const LoglikRequest& req = requests[q];
    CROSSOVER_CHECK(req.continuation_tokens() >= 1, "request of item ", req.item,
                    " has no continuation token");
    const int64_t N = req.continuation_tokens() == 1 ? 1 : std::max<int64_t>(o.mc_samples, 1);
    const int64_t n = static_cast<int64_t>(req.tokens.size());
    torch::Tensor mask, weight;  // (N, n)
    bd3_answer_masks(req, N, cfg_.block_size, o.seed, &mask, &weight);
    auto x0 = torch::tensor(req.tokens, torch::kInt64).unsqueeze(0);  // (1, n)
    const int64_t per_pass = std::max<int64_t>(1, o.max_batch_tokens / (2 * n));
    for (int64_t s = 0; s < N; s += per_pass) {
      const int64_t m = std::min(per_pass, N - s);
      torch::Tensor row, col;
      auto nll = bd3_masked_nll(model, x0.expand({m, n}).to(device), mask.narrow(0, s, m).to(device),
                                cfg_.block_size, mask_id_, o.bf16, &row, &col)
                     .cpu();  // (M)
      auto w = weight.narrow(0, s, m).index({row.cpu(), col.cpu()});  // (M)
      auto per_row = torch::zeros({m}, torch::kFloat64).index_add_(0, row.cpu(), nll * w);  // (m)
      auto acc = per_row.accessor<double, 1>();
      for (int64_t i = 0; i < m; ++i) est[q].push_back(-acc[i]);
    }
  }
  return est;
}

}  // namespace crossover
