// reference_fixture.h — running a script of tests/reference/ (the independent
// PyTorch implementations) once per test suite, and comparing with what it
// wrote: loading its weights into a crossover module, relative tensor errors.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "test_util.h"

namespace crossover::testing {

// max|a − b| / max|b|: relative to the reference tensor's largest magnitude, so
// tiny entries do not blow it up.
inline double rel_err(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = b.abs().max().item<double>();
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>() /
         std::max(scale, 1e-30);
}

// One run of `python tests/reference/<script> <args> --out <dir>`.
struct ReferenceRun {
  TempDir dir;
  bool ok = false;
  std::string out;  // the script's output, for the failure message
};

inline std::unique_ptr<ReferenceRun> run_reference(const std::string& script,
                                                   const std::string& args) {
  auto run = std::make_unique<ReferenceRun>();
  auto r = run_shell(std::string(CROSSOVER_PYTHON) + " " + source_path("tests/reference/" + script) +
                     " " + args + " --out " + run->dir.path().string());
  run->ok = r.exit_code == 0;
  run->out = r.out;
  return run;
}

// A test suite that runs Derived::kScript with Derived::kArgs once, before its
// first test; its tests read ref_ (CRTP: one run per suite).
template <class Derived>
class ReferenceSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ref_ = run_reference(Derived::kScript, Derived::kArgs).release(); }
  static void TearDownTestSuite() {
    delete ref_;
    ref_ = nullptr;
  }
  static inline ReferenceRun* ref_ = nullptr;
};

// Copies fixture tensors "<prefix><name>" into every parameter of `module`;
// the fixture must hold exactly the module's parameter set. Returns their count.
inline size_t load_reference_params(torch::nn::Module& module,
                                    const std::map<std::string, torch::Tensor>& fx,
                                    const std::string& prefix) {
  torch::NoGradGuard no_grad;
  size_t n = 0, n_ref = 0;
  for (auto& item : module.named_parameters()) {
    auto it = fx.find(prefix + item.key());
    EXPECT_NE(it, fx.end()) << "no reference tensor " << prefix << item.key();
    if (it == fx.end()) continue;
    EXPECT_EQ(it->second.sizes(), item.value().sizes()) << item.key();
    if (it->second.sizes() != item.value().sizes()) continue;
    item.value().copy_(it->second);
    ++n;
  }
  for (const auto& kv : fx) n_ref += kv.first.rfind(prefix, 0) == 0;
  EXPECT_EQ(n, n_ref) << "parameter sets differ (prefix '" << prefix << "')";
  return n;
}

}  // namespace crossover::testing
