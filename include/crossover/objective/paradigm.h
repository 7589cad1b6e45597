// paradigm.h — how a trained model is scored, sampled and exported: the one
// value evaluation, sampling, codegen, export and the report receive instead
// of a `bool diffusion`.
//
// A Paradigm is what the *trained model* is, not how it was trained: ar and
// ar_noise (AR with masked inputs) are both autoregressive models; mdm is a
// masked-diffusion model over the whole window; bd3 is block diffusion (blocks
// left to right, masked diffusion inside a block; block_size 1 is AR, T is
// mdm). The training Objective owns its Paradigm (Objective::paradigm()), and
// make_eval_objective() builds the estimators that score a model of that
// paradigm. Adding a paradigm touches objective/ and the sampler factory
// (eval/generate.h) only.
#pragma once

#include <cstdint>
#include <string>

namespace crossover {

struct ObjectiveConfig;  // config/config.h

enum class ParadigmKind { autoregressive, masked_diffusion, block_diffusion };

struct Paradigm {
  ParadigmKind kind = ParadigmKind::autoregressive;
  int64_t block_size = 0;  // block_diffusion: tokens per block; 0 otherwise
  double mask_eps = 0.0;   // the diffusion paradigms' t floor for evaluation draws

  static Paradigm autoregressive() { return {}; }
  static Paradigm masked_diffusion(double mask_eps = 0.0) {
    return {ParadigmKind::masked_diffusion, 0, mask_eps};
  }
  static Paradigm block_diffusion(int64_t block_size, double mask_eps = 0.0) {
    return {ParadigmKind::block_diffusion, block_size, mask_eps};
  }

  bool is_autoregressive() const { return kind == ParadigmKind::autoregressive; }
  // Likelihoods are Monte Carlo estimates (an ELBO), not exact: mdm and bd3.
  bool is_diffusion() const { return kind != ParadigmKind::autoregressive; }
  // "ar" | "mdm" | "bd3" (what configs, reports, exports and logs print).
  std::string name() const;
  // "AR" | "MDM" | "BD3 (block 16)" for humans.
  std::string label() const;
};

// The paradigm a run trains: ar and ar_noise -> autoregressive; mdm ->
// masked_diffusion; bd3 -> block_diffusion(objective.block_size). Throws
// UsageError on an unknown kind.
Paradigm paradigm_of(const ObjectiveConfig& cfg);

}  // namespace crossover
