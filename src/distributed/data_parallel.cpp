// data_parallel.cpp — broadcast_parameters: one broadcast per tensor, tied tensors once.
#include "crossover/distributed/data_parallel.h"

#include <torch/torch.h>

#include <unordered_set>

namespace crossover {

void broadcast_parameters(torch::nn::Module& module, Dist& dist) {
  if (!dist.enabled()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors = module.parameters(true);
  for (auto& b : module.buffers(true)) tensors.push_back(b);
  std::unordered_set<const void*> seen;  // tied weights are one tensor
  for (auto& t : tensors) {
    if (!t.defined() || !seen.insert(t.unsafeGetTensorImpl()).second) continue;
    // Gloo broadcasts CPU tensors; NCCL the device's.
    torch::Tensor buf = t.device() == dist.device() ? t : t.to(dist.device());
    dist.broadcast(buf, 0);
    if (!buf.is_same(t)) t.copy_(buf);
  }
}

}  // namespace crossover
