// objective.cpp — the objective factories and the shared cross-entropy sums.
#include "crossover/objective/objective.h"

#include <torch/torch.h>

#include "crossover/objective/ar_objective.h"
#include "crossover/objective/bd3_objective.h"
#include "crossover/model/output_head.h"
#include "crossover/objective/mdm_objective.h"
#include "crossover/util/check.h"
#include "crossover/util/host_sync.h"

namespace crossover {

int64_t Objective::step_seq_len(int64_t T, torch::Generator& step_gen) const { return T; }

std::unique_ptr<Objective> make_objective(const ObjectiveConfig& cfg, int64_t mask_id) {
  if (cfg.kind == ObjectiveKind::kAr) return std::make_unique<ArObjective>(0.0, mask_id);
  if (cfg.kind == ObjectiveKind::kArNoise) return std::make_unique<ArObjective>(cfg.input_noise, mask_id);
  if (cfg.kind == ObjectiveKind::kMdm) return std::make_unique<MdmObjective>(cfg, mask_id);
  if (cfg.kind == ObjectiveKind::kBd3) return std::make_unique<Bd3Objective>(cfg, mask_id);
  throw std::logic_error("make_objective: unknown objective.kind");
}

std::unique_ptr<Objective> make_eval_objective(const Paradigm& paradigm, int64_t mask_id) {
  ObjectiveConfig cfg;
  cfg.mask_eps = paradigm.mask_eps;
  switch (paradigm.kind) {
    case ParadigmKind::autoregressive: return std::make_unique<ArObjective>(0.0, mask_id);
    case ParadigmKind::masked_diffusion:
      cfg.kind = ObjectiveKind::kMdm;
      return std::make_unique<MdmObjective>(cfg, mask_id);
    case ParadigmKind::block_diffusion:
      cfg.kind = ObjectiveKind::kBd3;
      cfg.block_size = paradigm.block_size;
      return std::make_unique<Bd3Objective>(cfg, mask_id);
  }
  throw std::logic_error("make_eval_objective: unknown paradigm");
}

bool objective_kind_is_diffusion(ObjectiveKind kind) {
  return kind == ObjectiveKind::kMdm || kind == ObjectiveKind::kBd3;
}

torch::Tensor token_nll(const torch::Tensor& logits, const torch::Tensor& targets) {
  auto lf = logits.scalar_type() == torch::kFloat64 ? logits : logits.to(torch::kFloat32);
  auto lp = torch::log_softmax(lf, -1);
  return -lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).to(torch::kFloat64);
}

torch::Tensor objective_loss_sum(const torch::Tensor& logits, const ObjectiveBatch& batch) {
  CROSSOVER_CHECK(logits.dim() == 3 && logits.size(0) == batch.targets.size(0) &&
                      logits.size(1) == batch.targets.size(1),
                  "logits ", logits.sizes(), " do not match targets ", batch.targets.sizes());
  int64_t V = logits.size(2);
  auto lf = logits.scalar_type() == torch::kFloat64 ? logits : logits.to(torch::kFloat32);
  auto ce = torch::nn::functional::cross_entropy(
      lf.reshape({-1, V}), batch.targets.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));  // (B·T)
  return (ce * batch.weights.reshape({-1}).to(ce.scalar_type())).sum();
}

torch::Tensor objective_loss_sum_hidden(TransformerImpl& model, const torch::Tensor& hidden,
                                        const ObjectiveBatch& batch, int64_t chunk_rows) {
  CROSSOVER_CHECK(hidden.dim() == 3 && hidden.size(0) == batch.targets.size(0) &&
                      hidden.size(1) == batch.targets.size(1),
                  "hidden states ", hidden.sizes(), " do not match targets ", batch.targets.sizes());
  const int64_t C = hidden.size(2);
  auto w = batch.weights.reshape({-1});  // (B·T)
  if (!batch.sparse) {
    if (chunk_rows > 0 && w.size(0) > chunk_rows)
      return chunked_head_loss_sum(model, hidden.reshape({-1, C}), batch.targets.reshape({-1}), w,
                                   chunk_rows);
    auto logits = transformer_head(model, hidden);
    return objective_loss_sum(logits.scalar_type() == torch::kFloat64 ? logits : logits.to(torch::kFloat32),
                              batch);
  }
  torch::Tensor idx = batch.supervised;  // (M)
  if (!idx.defined()) {
    count_host_sync();  // nonzero's size is read on the host
    idx = torch::nonzero(w).squeeze(1);
  }
  auto h = hidden.reshape({-1, C}).index_select(0, idx);  // (M, C)
  return chunked_head_loss_sum(model, h, batch.targets.reshape({-1}).index_select(0, idx),
                               w.index_select(0, idx), chunk_rows);
}

}  // namespace crossover
