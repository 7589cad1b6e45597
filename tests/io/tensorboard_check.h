// tensorboard_check.h — reads a run directory's event files with the
// tensorboard package (tests/reference/tensorboard_read.py, venv Python) and
// compares every scalar with metrics.jsonl: the same tags ("<kind>/<key>"), the
// same steps in the same order, and the same float32 values. Header-only; used
// by tensorboard_test.cpp (unit) and tensorboard_itest.cpp (a real run).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "crossover/io/metrics.h"
#include "crossover/util/strings.h"
#include "test_util.h"

namespace crossover::testing {

struct TensorBoardCheck {
  bool reader_missing = false;  // the venv has no tensorboard package
  std::string error;            // "" = every scalar matches
  size_t scalars = 0;           // points compared
};

inline TensorBoardCheck check_tensorboard_matches_metrics(const std::string& run_dir) {
  TensorBoardCheck c;
  const std::string out = run_dir + "/tensorboard_scalars.json.tmp";
  auto r = run_shell(str_cat(CROSSOVER_PYTHON, " ", source_path("tests/reference/tensorboard_read.py"),
                             " ", run_dir, " ", out));
  if (r.exit_code == 3) {
    c.reader_missing = true;
    c.error = r.out;
    return c;
  }
  if (r.exit_code != 0) {
    c.error = "tensorboard_read.py failed: " + r.out;
    return c;
  }
  auto tb = nlohmann::json::parse(read_file(out));
  std::filesystem::remove(out);
  std::map<std::string, std::vector<std::pair<int64_t, float>>> want;
  for (const auto& row : read_metrics(run_dir + "/metrics.jsonl")) {
    const std::string kind = row.value("kind", "");
    for (auto it = row.begin(); it != row.end(); ++it)
      if (it.key() != "step" && it->is_number())
        want[kind + "/" + it.key()].push_back(
            {row["step"].get<int64_t>(), static_cast<float>(it->get<double>())});
  }
  if (tb.size() != want.size())
    c.error = str_cat("tensorboard has ", tb.size(), " tags, metrics.jsonl ", want.size(), ": ",
                      tb.dump().substr(0, 400));
  for (const auto& [tag, points] : want) {
    if (!c.error.empty()) break;
    if (!tb.contains(tag)) {
      c.error = "tag " + tag + " missing from the event files";
      break;
    }
    const auto& got = tb[tag];
    if (got.size() != points.size()) {
      c.error = str_cat(tag, ": ", got.size(), " points in TensorBoard, ", points.size(),
                        " in metrics.jsonl");
      break;
    }
    for (size_t i = 0; i < points.size(); ++i) {
      int64_t step = got[i][0].get<int64_t>();
      float value = static_cast<float>(got[i][1].get<double>());
      if (step != points[i].first || value != points[i].second) {
        c.error = str_cat(tag, " point ", i, ": TensorBoard (step ", step, ", ", value,
                          "), metrics.jsonl (step ", points[i].first, ", ", points[i].second, ")");
        break;
      }
      ++c.scalars;
    }
  }
  return c;
}

}  // namespace crossover::testing
