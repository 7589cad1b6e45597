// `crossover fit` and `crossover report --fit` through the binary: the checked-in
// report fixture (one budget, one seed per objective), its files, and one-line
// errors for bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

TEST(FitCli, FixtureCrossoverWithIntervalAndNotes) {
  TempDir out;
  auto r = run_crossover("fit " + source_path("tests/fixtures/report") + " --out " + out.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // tests/fixtures/report/README.md: the current-value crossover at 2800 tokens lies
  // between the evaluations at 2500 and 3000; the best-so-far one never happens.
  EXPECT_NE(r.out.find("current: 2.8K (ep 2.8)  CI [2.5K, 3K]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("best: none within 4K  CI beyond the measured range"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no scaling-law fit (one budget"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(read_file(out.file("fit.json")));
  ASSERT_EQ(j["crossovers"].size(), 2u);
  EXPECT_EQ(j["crossovers"][0]["grid"], nlohmann::json({2500.0, 3000.0}));
  EXPECT_TRUE(j["crossovers"][1]["ci"]["beyond_range"].get<bool>());
  EXPECT_NE(read_file(out.file("fit.csv")).find("crossover,all,kind-ar,kind-mdm,current,2800,2500,3000"),
            std::string::npos);
}

TEST(FitCli, ReportFitWritesBoth) {
  TempDir out;
  auto r = run_crossover("report " + source_path("tests/fixtures/report") + " --fit --out " +
                         out.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Crossovers of val_loss"), std::string::npos) << r.out;
  for (const char* f : {"report.csv", "report.json", "fit.json", "fit.csv"})
    EXPECT_TRUE(std::filesystem::exists(out.file(f))) << f;
}

TEST(FitCli, BadInputIsOneLineExitTwo) {
  TempDir out;  // nothing may be written into the fixture
  const std::string fx = source_path("tests/fixtures/report") + " --out " + out.path().string();
  for (const std::string& args : std::vector<std::string>{"fit " + fx + " --metric task/mc/acc", "fit " + fx + " --metric val_loss_of_nothing",
                                  "fit " + fx + " --bootstrap -1", "fit " + fx + " --confidence 2",
                                  "fit /nonexistent/runs", "fit"}) {
    auto r = run_crossover(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << "\n" << r.out;
  }
}

}  // namespace
}  // namespace crossover
