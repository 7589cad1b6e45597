// fit_args.h — the options of `crossover fit` that `crossover report --fit`
// shares, and writing fit.json / fit.csv.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>

#include "crossover/report/fit.h"
#include "crossover/report/report.h"

namespace crossover {

// --bootstrap, --law-bootstrap, --confidence, --huber, --seed, --pool-models.
void add_fit_options(CLI::App& cli, FitOptions& opts);
// --variant-key K, --ignore-key K (repeatable): report.h's ReportGrouping.
void add_grouping_options(CLI::App& cli, ReportGrouping& g);
// Writes <out>/fit.json and <out>/fit.csv.
void write_fit(const FitReport& f, const std::filesystem::path& out);

}  // namespace crossover
