// adamw.cpp — AdamW's update written out, with its decay and no-decay groups (adamw.h).
#include "crossover/train/adamw.h"

#include <cmath>
#include <set>

#include "crossover/util/check.h"

namespace crossover {

AdamW::AdamW(const std::vector<std::pair<std::string, torch::Tensor>>& params,
             const std::vector<std::string>& no_decay, AdamWOptions options)
    : params_(params), options_(options) {
  std::set<std::string> nd(no_decay.begin(), no_decay.end());
  for (const auto& [name, p] : params_) {
    decay_.push_back(nd.count(name) == 0);
    // Moments share the dtype of the (fp32 master) weights.
    exp_avg_.push_back(torch::zeros_like(p));
    exp_avg_sq_.push_back(torch::zeros_like(p));
  }
  had_grad_.assign(params_.size(), false);
}

namespace {
// p's gradient for this step: .grad, or zeros for a parameter that had one before.
torch::Tensor grad_or_zeros(const torch::Tensor& p, bool had_grad) {
  if (p.grad().defined() || !had_grad) return p.grad();
  return torch::zeros_like(p);
}
}  // namespace

void AdamW::zero_grad() {
  for (auto& [name, p] : params_) p.mutable_grad() = torch::Tensor();
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++t_;
  const bool cuda = !params_.empty() && params_.front().second.is_cuda();
  const std::string& impl = options_.impl;
  CROSSOVER_CHECK(impl == "auto" || impl == "loop" || impl == "foreach" || impl == "fused",
                  "unknown AdamW impl '", impl, "' (hint: auto | loop | foreach | fused)");
  CROSSOVER_CHECK(impl != "fused" || cuda, "the fused AdamW kernel needs CUDA parameters");
  if (impl == "fused" || (impl == "auto" && cuda)) return step_fused(lr);
  if (impl == "foreach" || impl == "auto") return step_foreach(lr);
  step_loop(lr);
}

std::vector<AdamW::Group> AdamW::groups_with_grad() const {
  std::vector<Group> groups(2);
  groups[1].decay = true;
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& p = params_[i].second;
    torch::Tensor grad = grad_or_zeros(p, had_grad_[i]);
    if (!grad.defined()) continue;
    had_grad_[i] = true;
    Group& g = groups[decay_[i] && options_.weight_decay > 0 ? 1 : 0];
    g.params.push_back(p);
    g.grads.push_back(grad);
    g.exp_avg.push_back(exp_avg_[i]);
    g.exp_avg_sq.push_back(exp_avg_sq_[i]);
  }
  return groups;
}

// The loop's arithmetic, one op over all tensors of a group at a time.
void AdamW::step_foreach(double lr) {
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bias1 = 1.0 - std::pow(b1, static_cast<double>(t_));
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(b2, static_cast<double>(t_)));
  const double step_size = lr / bias1;
  for (auto& g : groups_with_grad()) {
    if (g.params.empty()) continue;
    at::_foreach_lerp_(g.exp_avg, g.grads, 1.0 - b1);
    at::_foreach_mul_(g.exp_avg_sq, b2);
    at::_foreach_addcmul_(g.exp_avg_sq, g.grads, g.grads, 1.0 - b2);
    if (g.decay) at::_foreach_mul_(g.params, 1.0 - lr * options_.weight_decay);
    auto denom = at::_foreach_sqrt(g.exp_avg_sq);
    at::_foreach_div_(denom, bias2_sqrt);
    at::_foreach_add_(denom, options_.eps);
    at::_foreach_addcdiv_(g.params, g.exp_avg, denom, -step_size);
  }
}

// ATen's fused AdamW (what torch.optim.AdamW(fused=True) calls): the whole
// update of a group in one kernel; it computes the bias corrections from the
// step count it is given (t, after this step's increment).
void AdamW::step_fused(double lr) {
  for (auto& g : groups_with_grad()) {
    if (g.params.empty()) continue;
    auto step = torch::full({}, static_cast<double>(t_),
                            torch::TensorOptions().dtype(torch::kFloat32).device(g.params[0].device()));
    std::vector<torch::Tensor> steps(g.params.size(), step);
    at::_fused_adamw_(g.params, g.grads, g.exp_avg, g.exp_avg_sq, /*max_exp_avg_sqs=*/{}, steps, lr,
                      options_.beta1, options_.beta2, g.decay ? options_.weight_decay : 0.0,
                      options_.eps, /*amsgrad=*/false, /*maximize=*/false);
  }
}

void AdamW::step_loop(double lr) {
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bias1 = 1.0 - std::pow(b1, static_cast<double>(t_));
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(b2, static_cast<double>(t_)));
  const double step_size = lr / bias1;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i].second;
    const torch::Tensor g = grad_or_zeros(p, had_grad_[i]);
    if (!g.defined()) continue;
    had_grad_[i] = true;
    exp_avg_[i].lerp_(g, 1.0 - b1);  // β1·m + (1−β1)·g, as torch.optim does
    exp_avg_sq_[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
    if (decay_[i] && options_.weight_decay > 0) p.mul_(1.0 - lr * options_.weight_decay);
    auto denom = (exp_avg_sq_[i].sqrt() / bias2_sqrt).add_(options_.eps);
    p.addcdiv_(exp_avg_[i], denom, -step_size);
  }
}

torch::Tensor AdamW::clip_grad_norm_device(double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (auto& [n, p] : params_)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return torch::zeros({}, torch::kFloat32);
  // clip_grad_norm_'s arithmetic: the norm of the per-tensor norms.
  std::vector<torch::Tensor> norms = at::_foreach_norm(grads, 2);
  torch::Tensor total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);  // ()
  if (std::isfinite(max_norm)) {  // inf: the factor is exactly 1
    auto coef = torch::clamp(max_norm / (total + 1e-6), std::nullopt, 1.0);
    at::_foreach_mul_(grads, coef);
  }
  return total;
}

OptimizerBytes AdamW::held_bytes() const {
  OptimizerBytes b;
  for (size_t i = 0; i < params_.size(); ++i) {
    b.weights += params_[i].second.nbytes();
    if (params_[i].second.grad().defined()) b.grads += params_[i].second.grad().nbytes();
    b.state += exp_avg_[i].nbytes() + exp_avg_sq_[i].nbytes();
  }
  return b;
}

std::vector<std::pair<std::string, torch::Tensor>> AdamW::state_tensors() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    out.emplace_back("exp_avg/" + params_[i].first, exp_avg_[i]);
    out.emplace_back("exp_avg_sq/" + params_[i].first, exp_avg_sq_[i]);
  }
  return out;
}

void AdamW::load_state(const std::map<std::string, torch::Tensor>& tensors, int64_t steps) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    for (auto* pair : {&exp_avg_, &exp_avg_sq_}) {
      std::string key = (pair == &exp_avg_ ? "exp_avg/" : "exp_avg_sq/") + params_[i].first;
      auto it = tensors.find(key);
      CROSSOVER_CHECK(it != tensors.end(), "optimizer state has no tensor '", key,
                      "' (hint: was the checkpoint written by a different model config?)");
      CROSSOVER_CHECK(it->second.sizes() == (*pair)[i].sizes(), "optimizer tensor '", key,
                      "' has shape ", it->second.sizes(), ", expected ", (*pair)[i].sizes());
      (*pair)[i].copy_(it->second);
    }
  }
  t_ = steps;
}

}  // namespace crossover
