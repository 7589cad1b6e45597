// Task files: round trip, limit, lm-eval continuation, and errors that name
// the file and line. Converters: each public format against an expected file
// produced by lm-evaluation-harness's own prompt code
// (tests/fixtures/tasks/make_expected.py).
#include "crossover/eval/task.h"

#include <gtest/gtest.h>

#include "crossover/eval/task_convert.h"
#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

TEST(Task, RoundTripLimitAndContinuation) {
  TempDir dir;
  TaskItem a;
  a.id = "q1";
  a.context = "Question: 1+1?\nAnswer:";
  a.choices = {"2", "3"};
  a.gold = 0;
  TaskItem b;
  b.context = "x = [\n";
  b.choices = {"    1,", "    'a'", "}"};
  b.gold = 2;
  b.target_delimiter = "";
  write_task(dir.file("sub/toy.jsonl"), {a, b});
  Task t = load_task(dir.file("sub/toy.jsonl"));
  EXPECT_EQ(t.name, "toy");
  ASSERT_EQ(t.items.size(), 2u);
  EXPECT_EQ(t.items[0].id, "q1");
  EXPECT_EQ(t.items[0].continuation(0), " 2");
  EXPECT_EQ(t.items[1].continuation(1), "    'a'");
  EXPECT_EQ(t.items[1].gold, 2);
  EXPECT_EQ(load_task(dir.file("sub/toy.jsonl"), 1).items.size(), 1u);
}

TEST(Task, MalformedItemsNameFileAndLine) {
  TempDir dir;
  write_file(dir.file("bad.jsonl"),
             "{\"context\": \"c\", \"choices\": [\"a\", \"b\"], \"gold\": 0}\n\n"
             "{\"context\": \"c\", \"choices\": [\"a\", \"b\"], \"gold\": 2}\n");
  try {
    load_task(dir.file("bad.jsonl"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:3"), std::string::npos) << e.what();
  }
  write_file(dir.file("bad2.jsonl"), "{\"context\": \"c\", \"choices\": [\"a\"], \"gold\": 0}\n");
  EXPECT_THROW(load_task(dir.file("bad2.jsonl")), Error);
  EXPECT_THROW(load_task(dir.file("missing.jsonl")), Error);
}

TEST(TaskConvert, HellaswagPreprocessIsLmEvals) {
  EXPECT_EQ(hellaswag_preprocess("  a [title] b [header] c  d "), "a. b c d");
  EXPECT_EQ(hellaswag_preprocess("x [step] y"), "x y");
  EXPECT_EQ(hellaswag_preprocess("unclosed [ bracket"), "unclosed [ bracket");
}

TEST(TaskConvert, EveryFormatMatchesLmEvalPrompts) {
  TempDir dir;
  for (const std::string fmt : {"hellaswag", "arc", "piqa", "mmlu"}) {
    std::string in = source_path("tests/fixtures/tasks/" + fmt + "_raw.jsonl");
    std::string out = dir.file(fmt + ".jsonl");
    int64_t n = convert_task_file(fmt, in, out);
    EXPECT_GT(n, 0);
    EXPECT_EQ(read_file(out), read_file(source_path("tests/fixtures/tasks/" + fmt + "_expected.jsonl")))
        << fmt;
    EXPECT_EQ(load_task(out).items.size(), static_cast<size_t>(n));
  }
  EXPECT_THROW(convert_task_file("hellaswog", source_path("tests/fixtures/tasks/arc_raw.jsonl"),
                                 dir.file("x.jsonl")),
               UsageError);
}

}  // namespace
}  // namespace crossover
