// stats.h — the sample mean and standard deviation over replicates (seeds,
// bootstrap draws) that report/ and fit/ summarise with.
#pragma once

#include <cmath>
#include <vector>

namespace crossover {

// Mean of v; 0 for an empty vector.
inline double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// Sample standard deviation (n - 1 denominator); 0 for fewer than two values.
inline double std_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean_of(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

}  // namespace crossover
