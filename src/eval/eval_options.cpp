// eval_options.cpp — see eval_options.h.
#include "crossover/eval/eval_options.h"

namespace crossover {

EvalOptions make_eval_options(const Config& cfg, const Paradigm& paradigm, int64_t mask_id,
                              bool bf16, int64_t max_seq_len) {
  EvalOptions o;
  o.val.paradigm = paradigm;
  o.tasks.loglik.paradigm = paradigm;
  o.val.mc_samples = cfg.eval.mc_samples;
  o.val.mask_id = mask_id;
  o.val.bf16 = bf16;
  o.tasks.loglik.mc_samples = cfg.eval.task_mc_samples;
  o.tasks.mc.mode = cfg.eval.task_mc;
  o.tasks.mc.min_samples = cfg.eval.task_mc_min;
  o.tasks.mc.round = cfg.eval.task_mc_round;
  o.tasks.mc.z = cfg.eval.task_mc_z;
  o.tasks.loglik.mask_id = mask_id;
  o.tasks.loglik.bf16 = bf16;
  o.tasks.max_seq_len = max_seq_len;
  return o;
}

}  // namespace crossover
