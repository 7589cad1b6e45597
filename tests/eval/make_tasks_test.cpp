// The built-in benchmark: deterministic for a seed, items only from the
// documents it is given (the validation split; every answer and context is
// found in one of them, none in a training document), distractors from other
// documents, code vs prose detection, and a prepared dataset end to end.
#include "crossover/eval/make_tasks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "crossover/data/prepare.h"
#include "crossover/data/sources.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

// Python-like documents whose every line names its document, so any line can
// be traced back to exactly one document.
std::string code_doc(int d) {
  std::string s;
  for (int f = 0; f < 6; ++f)
    s += "def func_" + std::to_string(d) + "_" + std::to_string(f) + "(value):\n" +
         "    result = value * " + std::to_string(d * 7 + f) + "  # doc" + std::to_string(d) +
         "\n    return result + " + std::to_string(f) + "  # doc" + std::to_string(d) + "\n\n";
  return s;
}

TEST(MakeTasks, DeterministicFromTheGivenDocsWithForeignDistractors) {
  std::vector<std::string> docs;
  for (int d = 0; d < 6; ++d) docs.push_back(code_doc(d));
  MakeTasksOptions o;
  o.items = 40;
  auto a = make_tasks_from_texts(docs, o), b = make_tasks_from_texts(docs, o);
  EXPECT_EQ(a.kind, "code");
  ASSERT_EQ(a.items.size(), 40u);
  for (size_t i = 0; i < a.items.size(); ++i) {
    EXPECT_EQ(task_item_to_json_line(a.items[i]), task_item_to_json_line(b.items[i]));
    const TaskItem& it = a.items[i];
    ASSERT_EQ(it.choices.size(), 4u);
    EXPECT_EQ(it.target_delimiter, "");
    // The context followed by the answer is a passage of exactly one document.
    int owner = -1, found = 0;
    for (int d = 0; d < 6; ++d)
      if (docs[d].find(it.context + it.choices[it.gold] + "\n") != std::string::npos) {
        owner = d;
        ++found;
      }
    EXPECT_EQ(found, 1) << it.context << "|" << it.choices[it.gold];
    std::set<std::string> distinct(it.choices.begin(), it.choices.end());
    EXPECT_EQ(distinct.size(), 4u);
    for (int64_t c = 0; c < 4; ++c) {
      if (c == it.gold) continue;
      EXPECT_EQ(docs[owner].find(it.choices[c] + "\n"), std::string::npos)
          << "distractor from the item's own document: " << it.choices[c];
    }
  }
  o.seed = 99;
  auto c = make_tasks_from_texts(docs, o);
  EXPECT_NE(task_item_to_json_line(c.items[0]) + task_item_to_json_line(c.items[1]),
            task_item_to_json_line(a.items[0]) + task_item_to_json_line(a.items[1]));
}

// Word-order minimal pairs: every distractor holds exactly the answer's words
// (as a multiset) and characters behind the answer's indentation, in another order.
TEST(MakeTasks, ShuffledWordsDistractorsReorderTheAnswersOwnWords) {
  std::vector<std::string> docs;
  for (int d = 0; d < 6; ++d) docs.push_back(code_doc(d));
  MakeTasksOptions o;
  o.items = 30;
  o.distractors = "shuffled-words";
  auto a = make_tasks_from_texts(docs, o), b = make_tasks_from_texts(docs, o);
  ASSERT_EQ(a.items.size(), 30u);
  auto words = [](const std::string& s) {
    std::multiset<std::string> w;
    std::istringstream in(s);
    for (std::string x; in >> x;) w.insert(x);
    return w;
  };
  auto indent = [](const std::string& s) { return s.substr(0, s.find_first_not_of(" \t")); };
  for (size_t i = 0; i < a.items.size(); ++i) {
    EXPECT_EQ(task_item_to_json_line(a.items[i]), task_item_to_json_line(b.items[i]));
    const TaskItem& it = a.items[i];
    ASSERT_EQ(it.choices.size(), 4u);
    const std::string& gold = it.choices[it.gold];
    std::set<std::string> distinct(it.choices.begin(), it.choices.end());
    EXPECT_EQ(distinct.size(), 4u) << gold;
    for (int64_t c = 0; c < 4; ++c) {
      if (c == it.gold) continue;
      EXPECT_EQ(words(it.choices[c]), words(gold)) << it.choices[c] << " | " << gold;
      EXPECT_EQ(indent(it.choices[c]), indent(gold)) << it.choices[c];
      std::string x = it.choices[c], y = gold;  // the same characters, only reordered
      std::sort(x.begin(), x.end());
      std::sort(y.begin(), y.end());
      EXPECT_EQ(x, y) << it.choices[c] << " | " << gold;
    }
  }
  // A two-word line has one other order: never enough for three distractors.
  auto two = make_tasks_from_texts({"x = 1\nreturn value\nalpha beta\n"}, o);
  EXPECT_TRUE(two.items.empty());
  o.distractors = "nearby";
  EXPECT_THROW(make_tasks_from_texts(docs, o), std::exception);
}

TEST(MakeTasks, ProseSplitsSentences) {
  std::vector<std::string> docs;
  for (int d = 0; d < 5; ++d) {
    std::string s;
    for (int k = 0; k < 8; ++k)
      s += "Story " + std::to_string(d) + " tells part " + std::to_string(k) +
           " of a long and winding road. ";
    docs.push_back(s);
  }
  MakeTasksOptions o;
  o.items = 10;
  o.context_units = 2;
  auto r = make_tasks_from_texts(docs, o);
  EXPECT_EQ(r.kind, "prose");
  ASSERT_EQ(r.items.size(), 10u);
  for (const auto& it : r.items) {
    const std::string& ans = it.choices[it.gold];
    EXPECT_EQ(ans.back(), '.');
    EXPECT_EQ(ans.rfind("Story ", 0), 0u) << ans;
    EXPECT_EQ(it.context.back(), ' ');  // the space before the answer; lm-eval moves it
  }
}

TEST(MakeTasks, NeverFromTrainingDocumentsOfAPreparedDataset) {
  TempDir dir;
  for (int d = 0; d < 24; ++d) write_file(dir.file("corpus/f" + std::to_string(100 + d) + ".py"), code_doc(d));
  PrepareOptions p;
  p.sources.push_back(parse_source_spec(dir.file("corpus")));
  p.out = dir.file("data");
  p.val_docs = 5;
  prepare_dataset(p);
  PreparedDataset ds = PreparedDataset::open(dir.file("data"));
  auto tok = load_tokenizer(ds.meta);
  std::string train_text;
  for (int64_t d = 0; d < ds.train->num_documents(); ++d) train_text += tok->decode(ds.train->document(d)) + "\n";
  MakeTasksOptions o;
  o.items = 30;
  auto r = make_tasks(ds, o);
  EXPECT_EQ(r.documents, 5);
  ASSERT_EQ(r.items.size(), 30u);
  for (const auto& it : r.items) {
    for (const auto& c : it.choices)  // every line carries its document's number
      EXPECT_EQ(train_text.find(c + "\n"), std::string::npos) << c;
  }
}

}  // namespace
}  // namespace crossover
