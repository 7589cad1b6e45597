// report_render.h — a Report (report/report.h: the runs grouped into AR-vs-DLM
// comparisons) rendered for people and for tools. Building the comparison and
// rendering it are separate so a new output never touches the statistics.
//   report_table  the console table (`crossover report`), one block per group
//   report_csv    one row per (group, comparison, metric) with both kinds of crossover
//   report_json   everything: groups, variants (settings, runs, metric summaries),
//                 comparisons — what scripts/plot.py and results_md.py read
#pragma once

#include <string>

#include "crossover/report/report.h"

namespace crossover {

std::string report_table(const Report& r);
std::string report_csv(const Report& r);
std::string report_json(const Report& r);

}  // namespace crossover
