// gradcheck.h — finite-difference gradient checks in float64 for the model tests.
//
// The outside truth is calculus: for a scalar loss f, each autograd gradient
// entry must equal the central difference (f(p + h) − f(p − h)) / 2h. To keep
// the suite fast only `max_entries` entries per tensor are probed (spread
// over the tensor with a fixed stride pattern).
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace crossover::testing {

// f: recomputes the scalar loss from the current values of `tensors`.
inline void expect_gradients_match(const std::function<torch::Tensor()>& f,
                                   const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                   int64_t max_entries = 24, double h = 1e-6, double tol = 1e-6) {
  std::vector<torch::Tensor> inputs;
  for (const auto& nt : tensors) {
    ASSERT_EQ(nt.second.scalar_type(), torch::kFloat64) << nt.first;
    inputs.push_back(nt.second);
  }
  auto loss = f();
  auto grads = torch::autograd::grad({loss}, inputs, {}, false, false, /*allow_unused=*/true);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, p] = tensors[i];
    auto flat = p.view({-1});
    auto g = grads[i].defined() ? grads[i].reshape({-1}) : torch::zeros_like(flat);
    int64_t n = flat.numel();
    int64_t step = std::max<int64_t>(1, n / max_entries);
    for (int64_t j = (n > 1 ? 1 : 0) % n; j < n; j += step) {
      double orig = flat[j].item<double>();
      flat[j] = orig + h;
      double up = f().item<double>();
      flat[j] = orig - h;
      double down = f().item<double>();
      flat[j] = orig;
      double numeric = (up - down) / (2 * h);
      double analytic = g[j].item<double>();
      EXPECT_NEAR(analytic, numeric, tol * (1.0 + std::abs(numeric)))
          << name << "[" << j << "]";
    }
  }
}

// Named parameters of a module plus extra tensors, ready for expect_gradients_match.
inline std::vector<std::pair<std::string, torch::Tensor>> named_tensors(
    torch::nn::Module& m, std::vector<std::pair<std::string, torch::Tensor>> extra = {}) {
  for (const auto& item : m.named_parameters()) extra.emplace_back(item.key(), item.value());
  return extra;
}

}  // namespace crossover::testing
