// ar_objective.cpp — next-token batches, optionally with masked inputs; exact
// validation NLL and continuation log-likelihoods.
#include "crossover/objective/ar_objective.h"

#include <torch/torch.h>

#include <algorithm>

#include "crossover/model/transformer.h"
#include "crossover/util/autocast.h"
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
  b.layout = AttentionLayout::causal();
  if (input_noise_ > 0) {
    auto u = torch::rand({B, seq_len}, gen, torch::TensorOptions().device(gen.device()));
    auto noise = (u < input_noise_).to(tokens.device());  // (B, L) bool
    b.inputs = torch::where(noise, torch::full({}, mask_id_, tokens.options()), b.inputs);
  }
  return b;
}

torch::Tensor ArObjective::validation_loss_sums(TransformerImpl& model, const torch::Tensor& windows,
                                                int64_t first, const EstimateOptions& o) const {
  const int64_t T = windows.size(1) - 1;
  AutocastScope autocast(o.bf16);
  auto logits = model.forward(windows.narrow(1, 0, T), /*causal=*/true).logits;  // (b, T, V)
  auto nll = token_nll(logits, windows.narrow(1, 1, T));  // (b, T): x_1..x_T
  return torch::full({1}, nll.sum().item<double>(), torch::kFloat64);
}

std::vector<std::vector<double>> ArObjective::loglik_samples(
    TransformerImpl& model, const std::vector<LoglikRequest>& requests, const EstimateOptions& o,
    torch::Device device) const {
  // Input tokens[:-1], target tokens[1:]; continuation targets sit at input
  // positions n_context-1 .. n-2. A batch is as long as its first request.
  std::vector<std::vector<double>> out(requests.size());
  size_t start = 0;
  while (start < requests.size()) {
    const int64_t T = static_cast<int64_t>(requests[start].tokens.size()) - 1;
    const int64_t rows = std::max<int64_t>(1, o.max_batch_tokens / std::max<int64_t>(T, 1));
    const size_t end = std::min(requests.size(), start + static_cast<size_t>(rows));
    const int64_t b = static_cast<int64_t>(end - start);
    auto x = torch::zeros({b, T + 1}, torch::kInt64);  // (b, T+1), zero padding
    for (int64_t r = 0; r < b; ++r) {
      const auto& t = requests[start + r].tokens;
      CROSSOVER_CHECK(static_cast<int64_t>(t.size()) <= T + 1, "AR log-likelihood requests must ",
                      "come longest first (eval/loglikelihood.h sorts them)");
      x[r].narrow(0, 0, static_cast<int64_t>(t.size())).copy_(torch::tensor(t, torch::kInt64));
    }
    x = x.to(device);
    torch::Tensor logits;
    {
      AutocastScope autocast(o.bf16);
      logits = model.forward(x.narrow(1, 0, T), /*causal=*/true).logits;  // (b, T, V)
    }
    for (int64_t r = 0; r < b; ++r) {
      const auto& req = requests[start + r];
      const int64_t L = req.continuation_tokens();
      auto nll = token_nll(logits[r].narrow(0, req.n_context - 1, L),  // (L, V)
                           x[r].narrow(0, req.n_context, L));          // (L)
      out[start + r] = {-nll.sum().item<double>()};
    }
    start = end;
  }
  return out;
}

}  // namespace crossover
