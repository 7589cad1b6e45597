// Quality tiers: reST cleaning against a hand-written expectation, and a
// deterministic degradation that keeps every line.
#include "crossover/data/quality.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace crossover {
namespace {

const char* kRst =
    ":mod:`json` --- JSON encoder\n"
    "============================\n"
    "\n"
    ".. module:: json\n"
    "   :synopsis: Encode and decode JSON.\n"
    "\n"
    ".. index:: single: JSON\n"
    "\n"
    "Use :func:`~json.dumps` to **encode** ``obj``; see `RFC <https://x.org>`_.\n"
    "\n"
    ".. function:: dumps(obj, *, indent=None)\n"
    "   :noindex:\n"
    "\n"
    "   Serialize *obj*::\n"
    "\n"
    "      >>> dumps(1)\n"
    "\n"
    ".. note::\n"
    "\n"
    "   Keys are strings.\n"
    "\n"
    ".. _json-cli:\n"
    "\n"
    "Done.\n";

TEST(Quality, RstToTextStripsMarkupKeepsProse) {
  EXPECT_EQ(rst_to_text(kRst),
            "json --- JSON encoder\n"
            "\n"
            "Use json.dumps to encode obj; see RFC.\n"
            "\n"
            "dumps(obj, *, indent=None)\n"
            "\n"
            "   Serialize *obj*:\n"
            "\n"
            "      >>> dumps(1)\n"
            "\n"
            "   Keys are strings.\n"
            "\n"
            "Done.\n");
}

TEST(Quality, TiersAreDeterministicAndOrdered) {
  std::string raw = kRst;
  EXPECT_EQ(render_tier(raw, QualityTier::kMedium, 1), raw);
  std::string low1 = render_tier(raw, QualityTier::kLow, 1);
  EXPECT_EQ(low1, render_tier(raw, QualityTier::kLow, 1));
  EXPECT_NE(low1, render_tier(raw, QualityTier::kLow, 2));
  EXPECT_EQ(low1.rfind("Navigation: index", 0), 0u);  // boilerplate first
  // Same length as boilerplate + raw text (noise substitutes, shuffles permute).
  size_t boiler = low1.find("\n\n") + 2;
  EXPECT_EQ(low1.size() - boiler, raw.size());
  std::string a = low1.substr(boiler), b = raw;
  EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), std::count(b.begin(), b.end(), '\n'));
  EXPECT_LT(render_tier(raw, QualityTier::kHigh, 1).size(), raw.size());
  EXPECT_THROW(parse_quality_tier("best"), std::exception);
}

}  // namespace
}  // namespace crossover
