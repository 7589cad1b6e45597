// pass_at_k.cpp — see pass_at_k.h.
#include "crossover/eval/pass_at_k.h"

#include "crossover/util/check.h"

namespace crossover {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  CROSSOVER_CHECK(n >= 1 && k >= 1 && k <= n && c >= 0 && c <= n, "pass@k needs 1 <= k <= n and ",
                  "0 <= c <= n (got n=", n, ", c=", c, ", k=", k, "); hint: --samples at least ",
                  "the largest k");
  if (n - c < k) return 1.0;
  double fail = 1.0;  // C(n−c, k) / C(n, k)
  for (int64_t i = n - c + 1; i <= n; ++i) fail *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  return 1.0 - fail;
}

double mean_pass_at_k(const std::vector<int64_t>& n, const std::vector<int64_t>& c, int64_t k) {
  CROSSOVER_CHECK(n.size() == c.size() && !n.empty(), "pass@k: ", n.size(), " sample counts for ",
                  c.size(), " pass counts");
  double sum = 0;
  for (size_t i = 0; i < n.size(); ++i) sum += pass_at_k(n[i], c[i], k);
  return sum / static_cast<double>(n.size());
}

}  // namespace crossover
