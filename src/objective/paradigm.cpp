// paradigm.cpp — names of the paradigms and the one map from a run's objective.kind.
#include "crossover/objective/paradigm.h"

#include "crossover/config/config.h"
#include "crossover/util/check.h"
#include "crossover/util/strings.h"

namespace crossover {

std::string Paradigm::name() const {
  switch (kind) {
    case ParadigmKind::autoregressive: return "ar";
    case ParadigmKind::masked_diffusion: return "mdm";
    case ParadigmKind::block_diffusion: return "bd3";
  }
  return "?";
}

std::string Paradigm::label() const {
  switch (kind) {
    case ParadigmKind::autoregressive: return "AR";
    case ParadigmKind::masked_diffusion: return "MDM";
    case ParadigmKind::block_diffusion: return str_cat("BD3 (block ", block_size, ")");
  }
  return "?";
}

Paradigm paradigm_of(const ObjectiveConfig& cfg) {
  if (cfg.kind == ObjectiveKind::kAr || cfg.kind == ObjectiveKind::kArNoise) return Paradigm::autoregressive();
  if (cfg.kind == ObjectiveKind::kMdm) return Paradigm::masked_diffusion(cfg.mask_eps);
  if (cfg.kind == ObjectiveKind::kBd3) {
    CROSSOVER_CHECK(cfg.block_size >= 1, "objective.kind=bd3 needs objective.block_size >= 1");
    return Paradigm::block_diffusion(cfg.block_size, cfg.mask_eps);
  }
  throw std::logic_error("paradigm_of: unknown objective.kind");
}

}  // namespace crossover
