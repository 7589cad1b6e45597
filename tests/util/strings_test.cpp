// Suggestions: Levenshtein distances by hand, and the one "did you mean"
// wording every unknown key, command and option uses.
#include "crossover/util/strings.h"

#include <gtest/gtest.h>

namespace crossover {
namespace {

TEST(Strings, EditDistanceByHand) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // k->s, e->i, +g
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("trian", "train"), 2u);     // a transposition is two edits
}

TEST(Strings, DidYouMeanSuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> commands = {"train", "eval", "report"};
  EXPECT_EQ(did_you_mean("trian", commands), " (did you mean 'train'?)");
  EXPECT_EQ(did_you_mean("sett", {"set", "config"}, "--"), " (did you mean '--set'?)");
  EXPECT_EQ(did_you_mean("xylophone", commands), "");
}

}  // namespace
}  // namespace crossover
