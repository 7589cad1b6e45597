// validation.cpp — the validation loop: windows to ranks, the objective's
// estimate per batch, sums all-reduced into nats/token, its standard error and
// bits/byte.
#include "crossover/eval/validation.h"

#include <cmath>

#include "crossover/distributed/dist.h"
#include "crossover/objective/objective.h"
#include "crossover/util/check.h"

namespace crossover {

ValidationResult evaluate_validation(Transformer& model, const std::vector<torch::Tensor>& batches,
                                     const ValidationOptions& opts, torch::Device device,
                                     Dist* dist) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  auto objective = make_eval_objective(opts.paradigm, opts.mask_id);
  EstimateOptions eo;
  eo.mc_samples = opts.mc_samples;
  eo.seed = kValidationSeed;
  eo.bf16 = opts.bf16;
  const int64_t world = dist ? dist->world_size() : 1;
  const int64_t rank = dist ? dist->rank() : 0;
  const int64_t K = objective->validation_samples(opts.mc_samples);
  // sums[k] = Σ loss of sample k; sums[K] = tokens scored.
  auto sums = torch::zeros({K + 1}, torch::kFloat64);
  auto acc = sums.accessor<double, 1>();
  int64_t first = 0;  // index of the batch's first window in the validation set
  for (size_t i = 0; i < batches.size(); ++i) {
    const int64_t b = batches[i].size(0), T = batches[i].size(1) - 1;
    const int64_t batch_first = first;
    first += b;
    if (static_cast<int64_t>(i) % world != rank) continue;
    auto s = objective->validation_loss_sums(*model, batches[i].to(device), batch_first, eo);  // (K)
    auto s_acc = s.accessor<double, 1>();
    for (int64_t k = 0; k < K; ++k) acc[k] += s_acc[k];
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
