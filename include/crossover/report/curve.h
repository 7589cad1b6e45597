// curve.h — a metric as a function of tokens seen, and the crossover between
// an AR curve and a DLM curve.
//
// Curves are piecewise linear between evaluation points. Two curves evaluated
// at different tokens are compared on the union of their points inside the
// common range, where both are interpolated; the difference is then linear
// between grid points, so crossing points found by interpolation are exact for
// piecewise-linear curves.
//
// Crossover (docs/paper.md §2, "Two kinds of crossover"): the first tokens-seen value
// after which the DLM is strictly better than AR until the end of the common
// range. `current` compares the metric itself; `best` compares the running best
// (cummin for losses, cummax for accuracies).
#pragma once

#include <string>
#include <vector>

namespace crossover {

struct Curve {
  std::vector<double> x;  // tokens seen, strictly increasing
  std::vector<double> y;  // metric value at x
  bool empty() const { return x.empty(); }
};

// Sorts by x and keeps the last value of repeated x (a resumed run may log the
// same evaluation twice).
Curve curve_sorted(Curve c);
// Linear interpolation; x outside the curve's range clamps to the end values.
double curve_at(const Curve& c, double x);
// Running best: cummin when lower is better, cummax otherwise.
Curve curve_best_so_far(const Curve& c, bool lower_is_better);
// The mean of several curves on the union of their points inside the common
// range; empty when the ranges do not overlap.
Curve curve_mean(const std::vector<Curve>& curves);
// Standard deviation across curves (n - 1 denominator) at the points of curve_mean.
Curve curve_std(const std::vector<Curve>& curves);

// Direction of a metrics.jsonl key (docs/formats.md): lower is better for
// *loss*, *nll* and *bpb* keys except delta_nll; higher for acc* and delta_nll.
bool metric_lower_is_better(const std::string& key);

enum class CrossoverStatus {
  kCrossover,   // DLM worse (or equal) somewhere, then better to the end
  kFromStart,   // DLM better at every common point
  kNone,        // DLM not better at the end of the common range
  kNoOverlap,   // the curves share no tokens-seen range (or one is empty)
};
const char* crossover_status_name(CrossoverStatus s);  // crossover | from_start | none | no_overlap

struct Crossover {
  CrossoverStatus status = CrossoverStatus::kNoOverlap;
  double tokens = 0;         // the crossover point (kCrossover) or the range start (kFromStart)
  double first_better = -1;  // first tokens where the DLM is strictly better; -1 if never
  int sign_changes = 0;      // times the better model changes along the common grid
  double range_begin = 0;    // common tokens-seen range
  double range_end = 0;
};

// `ar` and `dlm` are curves of the same metric; `lower_is_better` its direction.
Crossover find_crossover(const Curve& ar, const Curve& dlm, bool lower_is_better);

}  // namespace crossover
