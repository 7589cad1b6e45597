#include "crossover/eval/validation.h"


#include <cmath>

#include "crossover/dist/dist.h"
#include "crossover/model/output_head.h"
#include "crossover/util/autocast.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

// Σ CE over positions, per row: logits (..., V), targets (...) -> (...) float64.
torch::Tensor token_nll(const torch::Tensor& logits, const torch::Tensor& targets) {
  auto lf = logits.scalar_type() == torch::kFloat64 ? logits : logits.to(torch::kFloat32);
  auto lp = torch::log_softmax(lf, -1);
  return -lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).to(torch::kFloat64);
}

// The masks and rates of b windows starting at window `first`: masks (K, b, T)
// bool and t (K, b) float64, on the CPU (see the header).
void validation_masks(int64_t first, int64_t b, int64_t T, int64_t K, double eps,
                      torch::Tensor* masks, torch::Tensor* t) {
  *masks = torch::empty({K, b, T}, torch::kBool);
  *t = torch::empty({K, b}, torch::kFloat64);
  for (int64_t j = 0; j < b; ++j) {
    auto gen = make_generator(kValidationSeed, "val_window", first + j);
    const double u = torch::rand({1}, gen, torch::kFloat64).item<double>();
    auto r = torch::rand({K, T}, gen, torch::kFloat64);  // (K, T)
    auto k = torch::arange(K, torch::kFloat64) / static_cast<double>(K);
    auto tk = eps + (1.0 - eps) * torch::frac(u + k);     // (K)
    t->select(1, j).copy_(tk);
    masks->select(1, j).copy_(r < tk.unsqueeze(1));
  }
}

// Σ_rows (1/t) Σ_{masked} −log p(x | x_masked), the head on masked positions only.
double masked_weighted_nll(Transformer& model, const torch::Tensor& x0, const torch::Tensor& mask,
                           const torch::Tensor& t, const ValidationOptions& opts) {
  auto inputs = torch::where(mask, torch::full({}, opts.mask_id, x0.options()), x0);  // (b, T)
  auto idx = torch::nonzero(mask);                                                   // (M, 2)
  auto row = idx.select(1, 0), col = idx.select(1, 1);                               // (M)
  torch::Tensor logits;
  {
    AutocastScope autocast(opts.bf16);
    auto hidden = transformer_hidden(*model, inputs, /*causal=*/false);  // (b, T, C)
    logits = transformer_head(*model, hidden.index({row, col}));          // (M, V)
  }
  auto nll = token_nll(logits, x0.index({row, col}));               // (M)
  return (nll / t.index({row})).sum().item<double>();
}

}  // namespace

ValidationResult evaluate_validation(Transformer& model, const std::vector<torch::Tensor>& batches,
                                     const ValidationOptions& opts, torch::Device device,
                                     Dist* dist) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const int64_t world = dist ? dist->world_size() : 1;
  const int64_t rank = dist ? dist->rank() : 0;
  const int64_t K = opts.diffusion ? std::max<int64_t>(opts.mc_samples, 1) : 1;
  // sums[k] = Σ loss of MC sample k; sums[K] = tokens scored.
  auto sums = torch::zeros({K + 1}, torch::kFloat64);
  auto acc = sums.accessor<double, 1>();
  int64_t first = 0;  // index of the batch's first window in the validation set
  for (size_t i = 0; i < batches.size(); ++i) {
    const int64_t b = batches[i].size(0), T = batches[i].size(1) - 1;
    const int64_t batch_first = first;
    first += b;
    if (static_cast<int64_t>(i) % world != rank) continue;
    auto x = batches[i].to(device);  // (b, T+1)
    auto targets = x.narrow(1, 1, T);  // (b, T): x_1..x_T for both objectives
    if (!opts.diffusion) {
      AutocastScope autocast(opts.bf16);
      auto logits = model->forward(x.narrow(1, 0, T), /*causal=*/true).logits;  // (b, T, V)
      acc[0] += token_nll(logits, targets).sum().item<double>();
    } else {
      torch::Tensor masks, t;  // (K, b, T) bool, (K, b) float64
      validation_masks(batch_first, b, T, K, opts.mask_eps, &masks, &t);
      masks = masks.to(device);
      t = t.to(device);
      for (int64_t k = 0; k < K; ++k)
        acc[k] += masked_weighted_nll(model, targets, masks[k], t[k], opts);
    }
    acc[K] += static_cast<double>(b * T);
  }
  if (dist && world > 1) {
    std::vector<torch::Tensor> v{sums};
    dist->all_reduce_sum(v);
    sums = v[0];
  }
  if (was_training) model->train();
  ValidationResult r;
  r.tokens = static_cast<int64_t>(sums[K].item<double>());
  CROSSOVER_CHECK(r.tokens > 0, "validation set is empty (hint: eval.val_tokens > 0 and a "
                                "non-empty validation split)");
  auto per_sample = sums.narrow(0, 0, K) / static_cast<double>(r.tokens);  // (K)
  r.loss = per_sample.mean().item<double>();
  r.loss_se = K > 1 ? per_sample.std().item<double>() / std::sqrt(static_cast<double>(K)) : 0.0;
  r.bpb = r.loss / (std::log(2.0) * opts.bytes_per_token);
  return r;
}

}  // namespace crossover
