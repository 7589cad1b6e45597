// pass@k against hand-computed values (Chen et al. 2021, eq. 1) and brute-force
// enumeration of k-subsets.
#include <gtest/gtest.h>

#include <cmath>

#include "crossover/eval/pass_at_k.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

double choose(int n, int k) {
  double r = 1;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

TEST(PassAtK, HandComputedValues) {
  EXPECT_NEAR(pass_at_k(10, 3, 1), 0.3, 1e-12);
  EXPECT_NEAR(pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-12);  // 1 − C(7,5)/C(10,5)
  EXPECT_NEAR(pass_at_k(10, 0, 5), 0.0, 1e-12);
  EXPECT_NEAR(pass_at_k(10, 10, 1), 1.0, 1e-12);
  EXPECT_NEAR(pass_at_k(10, 6, 5), 1.0, 1e-12);  // n − c = 4 < k: every 5-subset holds a pass
  EXPECT_NEAR(pass_at_k(1, 1, 1), 1.0, 1e-12);
  EXPECT_NEAR(pass_at_k(200, 1, 100), 0.5, 1e-12);  // one pass in 200: half the 100-subsets
}

TEST(PassAtK, MatchesSubsetEnumeration) {
  // pass@k = P(a uniform k-subset of the n samples holds >= 1 of the c passes).
  for (int n = 1; n <= 12; ++n)
    for (int c = 0; c <= n; ++c)
      for (int k = 1; k <= n; ++k) {
        const double all_fail = n - c >= k ? choose(n - c, k) / choose(n, k) : 0.0;
        EXPECT_NEAR(pass_at_k(n, c, k), 1.0 - all_fail, 1e-12) << n << " " << c << " " << k;
      }
}

TEST(PassAtK, MeanOverProblemsAndRefusals) {
  EXPECT_NEAR(mean_pass_at_k({10, 10}, {3, 0}, 1), 0.15, 1e-12);
  EXPECT_THROW(pass_at_k(5, 1, 6), Error);   // k > n
  EXPECT_THROW(pass_at_k(5, 6, 1), Error);   // c > n
  EXPECT_THROW(mean_pass_at_k({}, {}, 1), Error);
}

}  // namespace
}  // namespace crossover
