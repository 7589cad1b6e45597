// make_tasks.h — a built-in multiple-choice benchmark cut from the held-out
// (validation) documents of a prepared dataset, for corpora no public
// benchmark covers (Python code, small prose sets) and for machines that
// cannot download one.
//
//   code   context = up to K preceding lines of a validation document (each with
//          its "\n"); the answer is the true next line; distractors are lines of
//          similar length from *other* validation documents.
//   prose  the same with sentences (split after . ! ? followed by whitespace).
//   auto   code when the validation text looks like code (short lines, many
//          indented or ending in : { } ; ), prose otherwise.
// Distractors (`distractors`):
//   other           units of similar length from *other* validation documents
//                   (above): the answer must fit its context.
//   shuffled-words  the answer's own whitespace-separated words in other orders,
//                   after its indentation (distinct, never the answer): a
//                   minimal-pair test of word order that needs no knowledge of the
//                   context and has the answer's exact characters, so models far
//                   too small for `other` score above chance. Units with too few
//                   distinct orders are skipped.
// Blank, trivial (fewer than min_chars characters or fewer than 3
// letters/digits after stripping) and long (> max_chars) units are never
// answers or distractors. Items have target_delimiter "" (the continuation is
// the unit itself; the context's trailing newline/space moves into it, as
// lm-eval does). Only the validation split is read, so no item comes from a
// training document, and the output is a pure function of the dataset and the
// options (seeded, no wall clock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crossover/data/dataset.h"
#include "crossover/eval/task.h"

namespace crossover {

struct MakeTasksOptions {
  int64_t items = 500;         // at most this many (fewer when the split is small)
  int64_t choices = 4;
  uint64_t seed = 1234;
  std::string kind = "auto";   // code | prose | auto
  int64_t context_units = 8;   // K preceding lines (code) or sentences (prose)
  int64_t min_chars = 8;
  int64_t max_chars = 80;      // longer units are not used (long lines add noise, not signal)
  std::string distractors = "other";  // other | shuffled-words
};

struct MakeTasksReport {
  std::string kind;            // resolved code | prose
  int64_t documents = 0;       // validation documents read
  int64_t candidates = 0;      // usable units
  std::vector<TaskItem> items;
};

// From decoded validation documents (testable without a dataset).
MakeTasksReport make_tasks_from_texts(const std::vector<std::string>& docs,
                                      const MakeTasksOptions& opts);
// Reads and decodes the dataset's validation split, then as above.
MakeTasksReport make_tasks(const PreparedDataset& data, const MakeTasksOptions& opts);

}  // namespace crossover
