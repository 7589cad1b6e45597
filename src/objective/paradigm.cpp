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
  if (cfg.kind == "ar" || cfg.kind == "ar_noise") return Paradigm::autoregressive();
  if (cfg.kind == "mdm") return Paradigm::masked_diffusion(cfg.mask_eps);
  if (cfg.kind == "bd3") {
    CROSSOVER_CHECK(cfg.block_size >= 1, "objective.kind=bd3 needs objective.block_size >= 1");
    return Paradigm::block_diffusion(cfg.block_size, cfg.mask_eps);
  }
  throw UsageError(str_cat("unknown objective.kind '", cfg.kind, "' (ar | ar_noise | mdm | bd3)"));
}

}  // namespace crossover
