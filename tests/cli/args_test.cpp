// CommandLine in-process: values land in their variables whatever the order,
// repeated options keep theirs, a negative number is a value, and every parse
// error is one UsageError (exit 2) that names the command and, for a typo, the
// nearest option or choice.
#include "crossover/cli/args.h"

#include <gtest/gtest.h>

#include "crossover/util/check.h"

namespace crossover {
namespace {

struct Parsed {
  ConfigArgs config;
  int64_t steps = 10;
  double rate = 0.5;
  std::string kind = "auto";
  bool json = false;
};

// A config-taking command shaped like `crossover bench`; false when --help was printed.
bool parse(const std::vector<std::string>& argv, Parsed& p) {
  CommandLine cli("demo", "A demo command.");
  add_config_args(cli, p.config, /*config_required=*/true);
  cli.add_option("--steps", p.steps, "timed steps");
  cli.add_option("--rate", p.rate, "a rate");
  cli.add_option("--kind", p.kind, "a kind")->check(one_of({"code", "prose", "auto"}));
  cli.add_flag("--json", p.json, "print JSON");
  return cli.parse_args(argv);
}

// The UsageError's message, or "" when parsing succeeded.
std::string usage_error(const std::vector<std::string>& argv) {
  Parsed p;
  try {
    parse(argv, p);
  } catch (const UsageError& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    return e.what();
  }
  return "";
}

TEST(CommandLine, ValuesInAnyOrder) {
  Parsed p;
  ASSERT_TRUE(parse({"--set", "a.b=1", "c.yaml", "--steps=7", "--set", "c.d=x y", "-v", "--json",
                     "--rate", "-0.25", "--kind", "prose"},
                    p));
  EXPECT_EQ(p.config.path, "c.yaml");  // not swallowed by the --set before it
  EXPECT_EQ(p.config.sets, (std::vector<std::string>{"a.b=1", "c.d=x y"}));
  EXPECT_TRUE(p.config.verbose);
  EXPECT_EQ(p.steps, 7);
  EXPECT_EQ(p.rate, -0.25);
  EXPECT_EQ(p.kind, "prose");
  EXPECT_TRUE(p.json);
}

TEST(CommandLine, DefaultsStayWhenOptionsAreAbsent) {
  Parsed p;
  ASSERT_TRUE(parse({"c.yaml"}, p));
  EXPECT_EQ(p.steps, 10);
  EXPECT_EQ(p.rate, 0.5);
  EXPECT_EQ(p.kind, "auto");
  EXPECT_FALSE(p.json);
  EXPECT_FALSE(p.config.verbose);
  EXPECT_TRUE(p.config.sets.empty());
}

TEST(CommandLine, HelpIsPrintedAndNotAnError) {
  Parsed p;
  ::testing::internal::CaptureStdout();
  EXPECT_FALSE(parse({"--help"}, p));  // CONFIG is required, but not for --help
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("A demo command."), std::string::npos) << out;
  EXPECT_NE(out.find("crossover demo"), std::string::npos) << out;
  for (const char* name : {"CONFIG", "--set", "--verbose", "--steps", "--rate", "--kind", "code|prose|auto"})
    EXPECT_NE(out.find(name), std::string::npos) << name << "\n" << out;
}

TEST(CommandLine, UnknownOptionSuggestsTheNearest) {
  EXPECT_EQ(usage_error({"c.yaml", "--stpes", "3"}),
            "demo: unknown option '--stpes' (did you mean '--steps'?); see 'crossover demo --help'");
  // Reported even when it leaves a required positional out: it is the likelier cause.
  EXPECT_EQ(usage_error({"--rat=2"}),
            "demo: unknown option '--rat' (did you mean '--rate'?); see 'crossover demo --help'");
  EXPECT_EQ(usage_error({"c.yaml", "--xylophone"}),
            "demo: unknown option '--xylophone'; see 'crossover demo --help'");
}

TEST(CommandLine, EveryParseErrorIsOneUsageLine) {
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {},                                // CONFIG missing
           {"a.yaml", "b.yaml"},              // one positional too many
           {"c.yaml", "--steps", "ten"},      // not an integer
           {"c.yaml", "--steps", "1.5"},      // not an integer either
           {"c.yaml", "--rate", "fast"},      // not a number
           {"c.yaml", "--steps"},             // no value
           {"c.yaml", "--steps", "1", "--steps", "2"},  // given twice
           {"c.yaml", "--kind", "cod"}}) {    // not in its set
    const std::string what = usage_error(argv);
    EXPECT_EQ(what.rfind("demo: ", 0), 0u) << what;
    EXPECT_NE(what.find("see 'crossover demo --help'"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_NE(usage_error({}).find("CONFIG is required"), std::string::npos);
  EXPECT_NE(usage_error({"c.yaml", "--kind", "cod"}).find("did you mean 'code'?"), std::string::npos);
}

TEST(CommandLine, SubcommandErrorsNameTheSubcommand) {
  CommandLine cli("data", "Data commands.");
  cli.require_subcommand(1);
  std::string out;
  int64_t items = 0;
  CLI::App* make = cli.add_subcommand("make", "make things");
  make->add_option("--out", out, "output")->required();
  make->add_option("--items", items, "items");
  try {
    cli.parse_args({"make", "--items", "3"});
    FAIL() << "--out is required";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "data make: --out is required; see 'crossover data make --help'");
  }
  CommandLine again("data", "Data commands.");
  again.require_subcommand(1);
  again.add_subcommand("make", "make things");
  try {
    again.parse_args({"mkae"});
    FAIL() << "unknown subcommand";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "data: unknown command 'mkae' (did you mean 'make'?); see 'crossover data --help'");
  }
}

}  // namespace
}  // namespace crossover
