// ar_objective.cpp — next-token batches, optionally with masked inputs.
#include "crossover/objective/ar_objective.h"

#include <torch/torch.h>

#include "crossover/util/check.h"

namespace crossover {

ArObjective::ArObjective(double input_noise, int64_t mask_id)
    : input_noise_(input_noise), mask_id_(mask_id) {
  CROSSOVER_CHECK(input_noise >= 0 && input_noise < 1, "objective.input_noise must be in [0, 1), got ",
                  input_noise);
  CROSSOVER_CHECK(input_noise == 0 || mask_id >= 0,
                  "ar_noise needs the tokenizer's [MASK] id, got ", mask_id,
                  "; hint: prepare the dataset with a tokenizer that reserves [MASK]");
}

ObjectiveBatch ArObjective::prepare(const torch::Tensor& tokens, int64_t seq_len,
                                    torch::Generator& gen) const {
  CROSSOVER_CHECK(tokens.dim() == 2 && seq_len >= 1 && seq_len + 1 <= tokens.size(1),
                  "AR needs (B, T+1) tokens with seq_len <= T, got ", tokens.sizes(),
                  " and seq_len=", seq_len);
  int64_t B = tokens.size(0);
  ObjectiveBatch b;
  b.inputs = tokens.slice(1, 0, seq_len);        // (B, L)
  b.targets = tokens.slice(1, 1, seq_len + 1);   // (B, L)
  b.weights = torch::ones({B, seq_len}, tokens.options().dtype(torch::kFloat32));
  b.causal = true;
  if (input_noise_ > 0) {
    auto u = torch::rand({B, seq_len}, gen, torch::TensorOptions().device(gen.device()));
    auto noise = (u < input_noise_).to(tokens.device());  // (B, L) bool
    b.inputs = torch::where(noise, torch::full({}, mask_id_, tokens.options()), b.inputs);
  }
  return b;
}

}  // namespace crossover
