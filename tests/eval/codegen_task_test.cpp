// Code tasks: HumanEval and MBPP records (hand-written fixtures in the public
// layouts) convert to the crossover layout; stop sequences; the check program.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "crossover/eval/codegen_task.h"
#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {
using crossover::testing::read_file;
using crossover::testing::TempDir;
using crossover::testing::write_file;

const char* kHumanEvalLine =
    R"({"task_id": "HumanEval/0", "prompt": "def add(a, b):\n    \"\"\"Sum.\"\"\"\n", )"
    R"("entry_point": "add", "canonical_solution": "    return a + b\n", )"
    R"("test": "\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n"})";

const char* kMbppLine =
    R"({"task_id": 7, "text": "Write a function to double a number.", )"
    R"("code": "def double(x):\r\n    return 2 * x", "test_list": ["assert double(2) == 4", )"
    R"("assert double(0) == 0"], "test_setup_code": "", "challenge_test_list": []})";

TEST(CodegenTask, ConvertsHumanEvalAndMbpp) {
  TempDir dir;
  write_file(dir.file("he.jsonl"), std::string(kHumanEvalLine) + "\n\n");
  ASSERT_EQ(convert_codegen_file("humaneval", dir.file("he.jsonl"), dir.file("he_out.jsonl")), 1);
  CodegenTask he = load_codegen_task(dir.file("he_out.jsonl"));
  ASSERT_EQ(he.problems.size(), 1u);
  EXPECT_EQ(he.name, "he_out");
  const auto& p = he.problems[0];
  EXPECT_EQ(p.id, "HumanEval/0");
  EXPECT_EQ(p.entry_point, "add");
  EXPECT_EQ(p.stop, humaneval_stop_sequences());
  EXPECT_EQ(codegen_program(p, p.canonical_solution),
            "def add(a, b):\n    \"\"\"Sum.\"\"\"\n    return a + b\n\n\n\ndef check(candidate):\n"
            "    assert candidate(1, 2) == 3\n\ncheck(add)\n");

  write_file(dir.file("mbpp.jsonl"), std::string(kMbppLine) + "\n");
  ASSERT_EQ(convert_codegen_file("mbpp", dir.file("mbpp.jsonl"), dir.file("mbpp_out.jsonl")), 1);
  const auto q = load_codegen_task(dir.file("mbpp_out.jsonl")).problems.at(0);
  EXPECT_EQ(q.id, "mbpp/7");
  EXPECT_EQ(q.prompt, "\"\"\"\nWrite a function to double a number.\nassert double(2) == 4\n\"\"\"\n");
  EXPECT_EQ(q.canonical_solution, "def double(x):\n    return 2 * x");  // \r\n normalised
  EXPECT_EQ(q.tests, "assert double(2) == 4\nassert double(0) == 0\n");
  EXPECT_EQ(q.entry_point, "");
  EXPECT_EQ(codegen_program(q, q.canonical_solution),
            q.prompt + q.canonical_solution + "\n" + q.tests + "\n");
}

TEST(CodegenTask, ReadsGzipAndRefusesBadRecords) {
  TempDir dir;
  write_file(dir.file("he.jsonl"), std::string(kHumanEvalLine) + "\n");
  auto r = crossover::testing::run_shell("gzip -k " + dir.file("he.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(convert_codegen_file("humaneval", dir.file("he.jsonl.gz"), dir.file("out.jsonl")), 1);
  EXPECT_EQ(read_file(dir.file("out.jsonl")).substr(0, 22), "{\"id\":\"HumanEval/0\",\"p");

  write_file(dir.file("bad.jsonl"), R"({"task_id": "x", "prompt": "p"})" "\n");
  try {
    convert_codegen_file("humaneval", dir.file("bad.jsonl"), dir.file("o.jsonl"));
    FAIL() << "a record without canonical_solution converted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:1: no field 'canonical_solution'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(convert_codegen_file("mbpp", dir.file("bad.jsonl"), dir.file("o.jsonl")), Error);
  EXPECT_THROW(convert_codegen_file("humaneval", dir.file("missing.jsonl"), dir.file("o.jsonl")), Error);
  EXPECT_THROW(convert_codegen_file("codex", dir.file("he.jsonl"), dir.file("o.jsonl")), UsageError);
  // A multiple-choice task file is not a code task.
  write_file(dir.file("mc.jsonl"), R"({"id": "a", "context": "c", "choices": ["x"], "gold": 0})" "\n");
  EXPECT_THROW(load_codegen_task(dir.file("mc.jsonl")), Error);
}

TEST(CodegenTask, StopSequencesCutAtTheEarliest) {
  const auto& stop = humaneval_stop_sequences();
  EXPECT_EQ(truncate_at_stop("    return 1\n\nprint(f())\ndef g():", stop), "    return 1\n");
  EXPECT_EQ(truncate_at_stop("    return 1\n# done", stop), "    return 1");
  EXPECT_EQ(truncate_at_stop("    if x:\n        return 1\nif y:", stop), "    if x:\n        return 1");
  EXPECT_EQ(truncate_at_stop("\ndef f(): pass", stop), "");
  EXPECT_EQ(truncate_at_stop("    return 2", stop), "    return 2");
}

}  // namespace
}  // namespace crossover
