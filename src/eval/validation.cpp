#include "crossover/eval/validation.h"

#include <ATen/autocast_mode.h>

#include <cmath>

#include "crossover/dist/dist.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

// Σ CE over positions, per row: logits (b, T, V), targets (b, T) -> (b, T) float64.
torch::Tensor token_nll(const torch::Tensor& logits, const torch::Tensor& targets) {
  auto lp = torch::log_softmax(logits.to(torch::kFloat32), -1);
  return -lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).to(torch::kFloat64);
}

torch::Tensor forward_logits(Transformer& model, const torch::Tensor& inputs, bool causal,
                             bool bf16) {
  if (bf16) {
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  }
  auto logits = model->forward(inputs, causal).logits;
  if (bf16) {
    at::autocast::set_autocast_enabled(at::kCUDA, false);
    at::autocast::clear_cache();
  }
  return logits;
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
  for (size_t i = 0; i < batches.size(); ++i) {
    if (static_cast<int64_t>(i) % world != rank) continue;
    auto x = batches[i].to(device);  // (b, T+1)
    const int64_t b = x.size(0), T = x.size(1) - 1;
    if (!opts.diffusion) {
      auto logits = forward_logits(model, x.narrow(1, 0, T), /*causal=*/true, opts.bf16);
      sums[0] += token_nll(logits, x.narrow(1, 1, T)).sum().cpu();
    } else {
      auto x0 = x.narrow(1, 0, T);  // (b, T) predicted in place
      auto gen = make_generator(kValidationSeed, "val", static_cast<int64_t>(i), 0, 0, device);
      auto u = torch::rand({b}, gen, torch::TensorOptions().dtype(torch::kFloat64).device(device));  // (b)
      for (int64_t k = 0; k < K; ++k) {
        auto frac = torch::frac(u + static_cast<double>(k) / static_cast<double>(K));
        auto t = opts.mask_eps + (1.0 - opts.mask_eps) * frac;  // (b)
        auto r = torch::rand({b, T}, gen, torch::TensorOptions().dtype(torch::kFloat64).device(device));
        auto mask = r < t.unsqueeze(1);  // (b, T)
        auto inputs = torch::where(mask, torch::full_like(x0, opts.mask_id), x0);
        auto logits = forward_logits(model, inputs, /*causal=*/false, opts.bf16);
        auto nll = token_nll(logits, x0) * mask.to(torch::kFloat64);  // (b, T)
        sums[k] += (nll.sum(1) / t).sum().cpu();
      }
    }
    sums[K] += static_cast<double>(b * T);
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
