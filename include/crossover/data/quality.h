// quality.h — the three data-quality tiers of the data-quality experiment
// (paper experiment 2), all built from the same python-docs documents so the
// tiers differ in quality only, never in topic:
//
//   high    prose: reStructuredText markup stripped (rst_to_text): no heading
//           underlines, directives, comments, targets or role syntax.
//   medium  the raw .rst sources: the same prose plus markup (directive lines,
//           `:role:` syntax, adornments), i.e. tokens that carry structure but
//           little language.
//   low     medium, then degraded (degrade_text): a fixed navigation/licence
//           boilerplate prepended to every document (duplicated text), lines
//           shuffled inside half of the 4-line blocks (broken coherence), and
//           2% of characters replaced by random printable ASCII (noise).
// Each tier keeps every defect of the tier above it and adds one kind. The
// transform applies to training documents only: validation documents are
// always the high (clean) text, so validation losses compare across tiers.
// Deterministic: degrade_text draws from a std::mt19937_64 seeded per document.
#pragma once

#include <cstdint>
#include <string>

namespace crossover {

enum class QualityTier { kNone, kHigh, kMedium, kLow };

// "high" | "medium" | "low" (throws UsageError otherwise).
QualityTier parse_quality_tier(const std::string& name);
std::string quality_tier_name(QualityTier t);

// reStructuredText (Sphinx) -> plain prose. Keeps paragraph text, code blocks
// and the signatures of function/class directives.
std::string rst_to_text(const std::string& rst);

// The low-tier degradation of one document.
std::string degrade_text(const std::string& text, uint64_t seed);

// The training text of a document of the given tier.
std::string render_tier(const std::string& raw_rst, QualityTier tier, uint64_t seed);

}  // namespace crossover
