// make_tasks.cpp — next-line / next-sentence items from validation documents.
#include "crossover/eval/make_tasks.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <set>

#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

struct Unit {
  int64_t doc = 0;
  int64_t index = 0;   // unit index within its document
  size_t begin = 0;    // byte range of the unit's text in the document
  size_t end = 0;      // (exclusive, trailing whitespace excluded)
  std::string text;
};

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Byte ranges [begin, end) of the units of one document, in order.
std::vector<std::pair<size_t, size_t>> split_units(const std::string& doc, bool code) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t start = 0;
  if (code) {
    while (start < doc.size()) {
      size_t nl = doc.find('\n', start);
      size_t stop = nl == std::string::npos ? doc.size() : nl;
      out.push_back({start, stop});
      start = stop + 1;
    }
    return out;
  }
  while (start < doc.size() && is_space(doc[start])) ++start;
  for (size_t i = start; i < doc.size(); ++i) {
    bool last = i + 1 == doc.size();
    if (last || ((doc[i] == '.' || doc[i] == '!' || doc[i] == '?') && is_space(doc[i + 1]))) {
      out.push_back({start, i + 1});
      size_t next = i + 1;
      while (next < doc.size() && is_space(doc[next])) ++next;
      start = next;
      i = next - 1;
    }
  }
  return out;
}

bool usable(const std::string& text, const MakeTasksOptions& o) {
  size_t a = text.find_first_not_of(" \t\r");
  if (a == std::string::npos) return false;
  size_t b = text.find_last_not_of(" \t\r");
  int64_t n = static_cast<int64_t>(b - a + 1), alnum = 0;
  for (char c : text) alnum += std::isalnum(static_cast<unsigned char>(c)) ? 1 : 0;
  return n >= o.min_chars && static_cast<int64_t>(text.size()) <= o.max_chars && alnum >= 3;
}

// Up to n distinct reorderings of `text`'s words, none equal to `text`: the
// leading whitespace and the whitespace runs between words stay where they are,
// so every reordering has exactly the answer's characters and length. Fewer when
// there are not that many.
std::vector<std::string> shuffled_words(const std::string& text, int64_t n, std::mt19937_64& rng) {
  const size_t start = text.find_first_not_of(" \t");
  std::vector<std::string> words, gaps;  // gaps[k] follows words[k]
  for (size_t i = start; i < text.size();) {
    const size_t j = std::min(text.find_first_of(" \t", i), text.size());
    const size_t k = std::min(text.find_first_not_of(" \t", j), text.size());
    words.push_back(text.substr(i, j - i));
    gaps.push_back(text.substr(j, k - j));
    i = k;
  }
  std::set<std::string> seen = {text};
  std::vector<std::string> out;
  for (int attempt = 0; attempt < 64 && static_cast<int64_t>(out.size()) < n; ++attempt) {
    std::shuffle(words.begin(), words.end(), rng);
    std::string s = text.substr(0, start);
    for (size_t w = 0; w < words.size(); ++w) s += words[w] + gaps[w];
    if (seen.insert(s).second) out.push_back(s);
  }
  return out;
}

// Up to n distinct units of similar length ([0.75·len − 2, 1.33·len + 2]
// characters) from documents other than u's; by_len: pool indices sorted by length.
std::vector<std::string> other_document_units(const Unit& u, const std::vector<Unit>& pool,
                                              const std::vector<size_t>& by_len, int64_t n,
                                              std::mt19937_64& rng) {
  const double len = static_cast<double>(u.text.size());
  auto lo = std::lower_bound(by_len.begin(), by_len.end(), 0.75 * len - 2.0, [&](size_t a, double v) {
    return static_cast<double>(pool[a].text.size()) < v;
  });
  auto hi = std::upper_bound(by_len.begin(), by_len.end(), 1.33 * len + 2.0, [&](double v, size_t a) {
    return v < static_cast<double>(pool[a].text.size());
  });
  std::vector<size_t> window(lo, hi);
  std::shuffle(window.begin(), window.end(), rng);
  std::set<std::string> texts = {str_trim(u.text)};
  std::vector<std::string> out;
  for (size_t c : window) {
    if (static_cast<int64_t>(out.size()) == n) break;
    if (pool[c].doc == u.doc || !texts.insert(str_trim(pool[c].text)).second) continue;
    out.push_back(pool[c].text);
  }
  return out;
}

bool looks_like_code(const std::vector<std::string>& docs) {
  int64_t lines = 0, codey = 0, chars = 0;
  for (const auto& d : docs) {
    chars += static_cast<int64_t>(d.size());
    for (const auto& [b, e] : split_units(d, /*code=*/true)) {
      if (e == b) continue;
      ++lines;
      char first = d[b], last = d[e - 1];
      codey += (first == ' ' || first == '\t' || last == ':' || last == '{' || last == '}' ||
                last == ';' || last == ')') ? 1 : 0;
    }
  }
  return lines > 0 && chars / lines < 100 && codey * 5 >= lines;
}

}  // namespace

MakeTasksReport make_tasks_from_texts(const std::vector<std::string>& docs,
                                      const MakeTasksOptions& opts) {
  CROSSOVER_CHECK(opts.choices >= 2, "--choices must be at least 2, got ", opts.choices);
  CROSSOVER_CHECK(opts.kind == "code" || opts.kind == "prose" || opts.kind == "auto",
                  "--kind must be code | prose | auto, got '", opts.kind, "'");
  CROSSOVER_CHECK(opts.distractors == "other" || opts.distractors == "shuffled-words",
                  "--distractors must be other | shuffled-words, got '", opts.distractors, "'");
  const bool shuffled = opts.distractors == "shuffled-words";
  MakeTasksReport rep;
  rep.documents = static_cast<int64_t>(docs.size());
  const bool code = opts.kind == "auto" ? looks_like_code(docs) : opts.kind == "code";
  rep.kind = code ? "code" : "prose";

  // Every usable unit with at least one non-blank unit before it in its document.
  std::vector<Unit> pool;
  std::vector<std::vector<std::pair<size_t, size_t>>> ranges(docs.size());
  for (size_t d = 0; d < docs.size(); ++d) {
    ranges[d] = split_units(docs[d], code);
    bool seen_text = false;
    for (size_t i = 0; i < ranges[d].size(); ++i) {
      auto [b, e] = ranges[d][i];
      std::string text = docs[d].substr(b, e - b);
      while (!text.empty() && is_space(text.back())) text.pop_back();
      if (seen_text && usable(text, opts))
        pool.push_back({static_cast<int64_t>(d), static_cast<int64_t>(i), b, b + text.size(), text});
      seen_text = seen_text || text.find_first_not_of(" \t\r") != std::string::npos;
    }
  }
  rep.candidates = static_cast<int64_t>(pool.size());
  // Distractor lookup: units sorted by length.
  std::vector<size_t> by_len(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) by_len[i] = i;
  std::stable_sort(by_len.begin(), by_len.end(), [&](size_t a, size_t b) {
    return pool[a].text.size() < pool[b].text.size();
  });

  std::mt19937_64 rng(derive_seed(opts.seed, "make_tasks"));
  std::vector<size_t> order(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);

  for (size_t oi = 0; oi < order.size() && static_cast<int64_t>(rep.items.size()) < opts.items; ++oi) {
    const Unit& u = pool[order[oi]];
    std::vector<std::string> distractors =
        shuffled ? shuffled_words(u.text, opts.choices - 1, rng)
                 : other_document_units(u, pool, by_len, opts.choices - 1, rng);
    if (static_cast<int64_t>(distractors.size()) < opts.choices - 1) continue;
    TaskItem item;
    item.id = str_cat("val", u.doc, ":", u.index);
    const auto& r = ranges[u.doc];
    size_t ctx_begin = r[static_cast<size_t>(std::max<int64_t>(0, u.index - opts.context_units))].first;
    item.context = docs[u.doc].substr(ctx_begin, u.begin - ctx_begin);
    item.target_delimiter = "";
    item.gold = static_cast<int64_t>(rng() % static_cast<uint64_t>(opts.choices));
    for (int64_t c = 0, k = 0; c < opts.choices; ++c)
      item.choices.push_back(c == item.gold ? u.text : distractors[k++]);
    rep.items.push_back(item);
  }
  return rep;
}

MakeTasksReport make_tasks(const PreparedDataset& data, const MakeTasksOptions& opts) {
  CROSSOVER_CHECK(data.val && data.val->num_documents() > 0, "dataset '", data.meta_path,
                  "' has no validation documents; hint: prepare it with --val-fraction > 0 "
                  "(items must come from held-out documents)");
  auto tok = load_tokenizer(data.meta);
  std::vector<std::string> docs;
  for (int64_t d = 0; d < data.val->num_documents(); ++d)
    docs.push_back(tok->decode(data.val->document(d), /*skip_special=*/true));
  return make_tasks_from_texts(docs, opts);
}

}  // namespace crossover
