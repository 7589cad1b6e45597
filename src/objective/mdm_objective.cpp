// mdm_objective.cpp — masking-rate sampling, masks and ELBO weights.
#include "crossover/objective/mdm_objective.h"

#include <torch/torch.h>

#include "crossover/util/check.h"

namespace crossover {

MdmObjective::MdmObjective(const ObjectiveConfig& cfg, int64_t mask_id)
    : cfg_(cfg), mask_id_(mask_id) {
  CROSSOVER_CHECK(mask_id >= 0, "mdm needs the tokenizer's [MASK] id, got ", mask_id,
                  "; hint: prepare the dataset with a tokenizer that reserves [MASK]");
  CROSSOVER_CHECK(cfg.weighting == "inv_t" || cfg.weighting == "inv_realised",
                  "unknown objective.weighting '", cfg.weighting, "'");
  CROSSOVER_CHECK(cfg.t_sampling == "independent" || cfg.t_sampling == "stratified",
                  "unknown objective.t_sampling '", cfg.t_sampling, "'");
}

int64_t MdmObjective::step_seq_len(int64_t T, torch::Generator& step_gen) const {
  // Always two draws, so the stream does not depend on the outcome.
  auto u = torch::rand({2}, step_gen, torch::TensorOptions().dtype(torch::kFloat64));
  double u0 = u[0].item<double>(), u1 = u[1].item<double>();
  if (T <= 2 || u0 >= cfg_.short_seq_prob) return T;
  return 2 + std::min(T - 3, static_cast<int64_t>(u1 * static_cast<double>(T - 2)));  // [2, T)
}

torch::Tensor MdmObjective::sample_t(int64_t B, torch::Generator& gen) const {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(gen.device());
  double eps = cfg_.mask_eps;
  if (cfg_.t_sampling == "stratified") {
    auto u = torch::rand({1}, gen, opts);
    auto frac = torch::remainder(u + torch::arange(B, opts) / static_cast<double>(B), 1.0);
    return eps + (1.0 - eps) * frac;                  // [ε, 1), one per stratum
  }
  return 1.0 - (1.0 - eps) * torch::rand({B}, gen, opts);  // (ε, 1]
}

ObjectiveBatch MdmObjective::prepare(const torch::Tensor& tokens, int64_t seq_len,
                                     torch::Generator& gen) const {
  CROSSOVER_CHECK(tokens.dim() == 2 && seq_len >= 1 && seq_len <= tokens.size(1),
                  "MDM needs (B, T[+1]) tokens with seq_len <= T, got ", tokens.sizes(),
                  " and seq_len=", seq_len);
  int64_t B = tokens.size(0);
  auto x0 = tokens.slice(1, 0, seq_len);                                       // (B, L)
  auto t = sample_t(B, gen);                                                   // (B)
  auto u = torch::rand({B, seq_len}, gen, torch::TensorOptions().device(gen.device()));
  auto mask = u < t.unsqueeze(1);                                              // (B, L)
  // Always drawn (stream independent of the outcome); used by inv_realised only.
  auto pos = torch::randint(seq_len, {B, 1}, gen, torch::TensorOptions().dtype(torch::kInt64).device(gen.device()));
  if (cfg_.weighting == "inv_realised") {
    auto empty = mask.sum(1, true) == 0;                                       // (B, 1)
    auto forced = torch::zeros_like(mask).scatter(1, pos, empty);             // (B, L)
    mask = mask | forced;
  }
  return mdm_batch_from_mask(x0, mask.to(tokens.device()), t.to(tokens.device()), cfg_.weighting,
                             mask_id_);
}

ObjectiveBatch mdm_batch_from_mask(const torch::Tensor& x0, const torch::Tensor& mask,
                                   const torch::Tensor& t, const std::string& weighting,
                                   int64_t mask_id) {
  CROSSOVER_CHECK(x0.sizes() == mask.sizes() && t.dim() == 1 && t.size(0) == x0.size(0),
                  "mdm batch: x0 ", x0.sizes(), ", mask ", mask.sizes(), ", t ", t.sizes());
  int64_t L = x0.size(1);
  ObjectiveBatch b;
  auto m = mask.to(torch::kBool);
  b.inputs = torch::where(m, torch::full({}, mask_id, x0.options()), x0);  // (B, L)
  b.targets = x0;
  b.causal = false;
  b.sparse = true;
  auto mf = m.to(torch::kFloat32);                                         // (B, L)
  if (weighting == "inv_t") {
    b.weights = mf / t.to(torch::kFloat32).unsqueeze(1);
  } else {
    CROSSOVER_CHECK(weighting == "inv_realised", "unknown objective.weighting '", weighting, "'");
    auto realised = mf.sum(1, true).clamp_min(1.0) / static_cast<double>(L);  // (B, 1)
    b.weights = mf / realised;
  }
  return b;
}

}  // namespace crossover
