// The Levenberg–Marquardt solver against exact answers and against SciPy's
// least_squares (tests/reference/least_squares_ref.py) on the same points.
#include "crossover/util/least_squares.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

// y = a·exp(−k·x) + c, parameterised (log a, log k, c); deterministic "noise".
std::vector<std::pair<double, double>> exp_points(double noise) {
  std::vector<std::pair<double, double>> p;
  for (int i = 0; i < 30; ++i) {
    const double x = 0.25 * i;
    p.push_back({x, 2.5 * std::exp(-0.7 * x) + 0.4 + noise * std::sin(7.3 * i + 1.1)});
  }
  return p;
}

ResidualFn exp_residuals(const std::vector<std::pair<double, double>>& p) {
  return [p](const std::vector<double>& t, std::vector<double>& r) {
    for (size_t i = 0; i < p.size(); ++i)
      r[i] = std::exp(t[0]) * std::exp(-std::exp(t[1]) * p[i].first) + t[2] - p[i].second;
  };
}

TEST(LeastSquares, RecoversNoiselessExponential) {
  auto p = exp_points(0);
  LsqResult r = lsq_solve(exp_residuals(p), {0.0, 0.0, 0.0}, static_cast<int>(p.size()));
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(std::exp(r.x[0]), 2.5, 1e-6);
  EXPECT_NEAR(std::exp(r.x[1]), 0.7, 1e-6);
  EXPECT_NEAR(r.x[2], 0.4, 1e-6);
  EXPECT_LT(r.cost, 1e-14);
}

TEST(LeastSquares, HuberCostIsScipys) {
  // ½ Σ ρ(r²), ρ(z) = z inside δ², 2δ√z − δ² beyond (SciPy's loss="huber", f_scale=δ).
  EXPECT_DOUBLE_EQ(lsq_cost({0.1, -0.2}, 0), 0.5 * (0.01 + 0.04));
  EXPECT_DOUBLE_EQ(lsq_cost({0.1, -0.2}, 0.15), 0.5 * (0.01 + (2 * 0.15 * 0.2 - 0.15 * 0.15)));
}

// Solves the noisy problem in C++ and in SciPy from the same start.
void expect_matches_scipy(double huber) {
  auto p = exp_points(0.05);
  // One gross outlier, so the Huber and plain solutions differ visibly.
  p[5].second += 1.5;
  TempDir dir;
  nlohmann::json spec = {{"problem", "exp_decay"}, {"starts", {{0.0, 0.0, 0.0}}}, {"huber", huber}};
  for (auto& q : p) spec["points"].push_back({q.first, q.second});
  write_file(dir.file("in.json"), spec.dump());
  auto rr = run_shell(std::string(CROSSOVER_PYTHON) + " " + source_path("tests/reference/least_squares_ref.py") +
                      " --in " + dir.file("in.json") + " --out " + dir.file("ref"));
  ASSERT_EQ(rr.exit_code, 0) << rr.out;
  auto ref = nlohmann::json::parse(read_file(dir.file("ref/result.json")));
  LsqOptions o;
  o.huber_delta = huber;
  LsqResult r = lsq_solve(exp_residuals(p), {0.0, 0.0, 0.0}, static_cast<int>(p.size()), o);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(r.x[i], ref["x"][i].get<double>(), 1e-6) << "parameter " << i;
  EXPECT_NEAR(r.cost, ref["cost"].get<double>(), 1e-9 * std::max(1.0, r.cost));
}

TEST(LeastSquares, MatchesScipyPlain) { expect_matches_scipy(0); }
TEST(LeastSquares, MatchesScipyHuber) { expect_matches_scipy(0.05); }

}  // namespace
}  // namespace crossover
