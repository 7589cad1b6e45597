// sources.h — where `crossover data prepare` gets its documents.
//
// A source spec is either a bare name/path or comma-separated key=value pairs:
//   python-stdlib                 built-in: the machine's Python standard library
//                                 *.py files (highest /usr/lib/python3.N with os.py;
//                                 site-/dist-packages and __pycache__ skipped)
//   python-docs                   built-in: Debian's python3.N-doc reST sources,
//                                 /usr/share/doc/python3.N/html/_sources/**/*.rst.txt
//                                 (apt-get install python3.11-doc)
//   quality-high|medium|low       built-in: python-docs at a quality tier (quality.h)
//   notes.txt | 'data/*.md' | dir/  text files (a directory is read recursively;
//                                 files with NUL bytes in their first 8 KiB are skipped)
//   corpus.jsonl                  one JSON object per line with a string `text`
//   label=web,weight=0.5,path=data/*.txt   the same with a label and a weight
// weight w shapes the training mixture: floor(w) copies of every training
// document of the source plus one more copy of a seeded (w - floor(w))
// fraction of them (w = 0.5 keeps half; w = 2 duplicates all). Validation
// documents are held out before weighting and kept once each.
// One file (or JSONL line) is one document; documents are read in sorted path order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crossover/data/quality.h"

namespace crossover {

struct SourceSpec {
  std::string label;      // name in meta.json; default: the built-in name or the path
  std::string path;       // built-in name, file, glob, directory or .jsonl
  double weight = 1.0;    // training copies per document (see above)
  QualityTier tier = QualityTier::kNone;  // set for quality-* built-ins
};

struct Document {
  std::string text;   // raw text as read (reST for python-docs)
  int32_t source;     // index into the list of sources
  std::string name;   // file path (with :line for JSONL)
};

SourceSpec parse_source_spec(const std::string& spec);

// The directories the built-ins read; throw Error with the apt command when absent.
std::string find_python_stdlib_dir();
std::string find_python_docs_dir();

// Every document of one source, in a deterministic order; throws Error for a
// missing or unreadable file, a bad JSONL line, or a source with no documents.
std::vector<Document> read_source(const SourceSpec& spec, int32_t source_index);

}  // namespace crossover
