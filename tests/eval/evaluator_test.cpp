// The evaluation component against the functions it composes, called by hand
// on the same model: validation_batches + evaluate_validation (with the
// batches' bytes per token), evaluate_task per task file and
// canonical_solution_nll per code task must give the very numbers
// Evaluator::evaluate returns, for AR and MDM; the metrics row and the
// schedule delegate; missing inputs fail at construction with one clear line.
#include "crossover/eval/evaluator.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "crossover/data/prepare.h"
#include "crossover/data/sources.h"
#include "crossover/data/validation.h"
#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {

using testing::TempDir;
using testing::write_file;

std::string doc(int d) {
  std::string text;
  for (int f = 0; f < 10; ++f)
    text += "def f" + std::to_string(d) + "_" + std::to_string(f) + "(x):\n    return x + " +
            std::to_string((d * 7 + f) % 10) + "\n\n";
  return text;
}

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int d = 0; d < 16; ++d) write_file(dir_.file("corpus/f" + std::to_string(100 + d) + ".py"), doc(d));
    PrepareOptions p;
    p.sources.push_back(parse_source_spec(dir_.file("corpus")));
    p.out = dir_.file("data");
    p.val_docs = 4;
    prepare_dataset(p);
    data_ = std::make_unique<PreparedDataset>(PreparedDataset::open(dir_.file("data")));
    tok_ = std::shared_ptr<const Tokenizer>(load_tokenizer(data_->meta));
    write_file(dir_.file("mc.jsonl"),
               "{\"context\": \"def f(x):\\n    return\", \"choices\": [\" x + 1\", \" (\"], \"gold\": 0}\n"
               "{\"context\": \"x = \", \"choices\": [\"1\", \"def\", \")\"], \"gold\": 1}\n");
    write_file(dir_.file("code.jsonl"),
               "{\"id\": \"t/0\", \"prompt\": \"def add(a, b):\\n\", \"canonical_solution\": "
               "\"    return a + b\\n\", \"tests\": \"def check(f):\\n    assert f(1, 2) == 3\\n\", "
               "\"entry_point\": \"add\", \"stop\": [\"\\ndef\"]}\n");
    torch::manual_seed(3);
    model_ = Transformer(TransformerOptions(tok_->vocab_size(), 16).n_layers(1).n_heads(2).max_seq_len(32));
    model_->eval();
    sources_.seq_len = 32;
    sources_.val_tokens = 32 * 5;
    sources_.val_batch_size = 2;
    sources_.val_spread = true;
    sources_.tasks = {dir_.file("mc.jsonl")};
    sources_.codegen = {dir_.file("code.jsonl")};
  }

  EvalScoring scoring(const Paradigm& p) const {
    EvalScoring how;
    how.opts.val.paradigm = p;
    how.opts.val.mc_samples = 3;
    how.opts.val.mask_id = tok_->mask_id();
    how.opts.tasks.loglik.paradigm = p;
    how.opts.tasks.loglik.mc_samples = 3;
    how.opts.tasks.loglik.mask_id = tok_->mask_id();
    how.opts.tasks.max_seq_len = 32;
    return how;
  }

  void expect_same_as_by_hand(const Paradigm& p) {
    Evaluator ev(sources_, data_.get(), tok_);
    const EvalScoring how = scoring(p);
    EvalResult e = ev.evaluate(model_, how, torch::kCPU);

    auto batches = validation_batches(*data_, 32, 32 * 5, 2, 0, 1, true);
    ValidationOptions vo = how.opts.val;
    vo.bytes_per_token = validation_bytes_per_token(*tok_, batches);
    ValidationResult v = evaluate_validation(model_, batches, vo, torch::kCPU);
    ASSERT_TRUE(e.val.has_value());
    EXPECT_EQ(e.val->loss, v.loss);
    EXPECT_EQ(e.val->loss_se, v.loss_se);
    EXPECT_EQ(e.val->bpb, v.bpb);
    EXPECT_EQ(e.val->tokens, 5 * 32);
    EXPECT_EQ(ev.validation_windows(), 5);
    EXPECT_EQ(ev.bytes_per_token(), vo.bytes_per_token);

    ASSERT_EQ(e.tasks.size(), 1u);
    TaskResult t = evaluate_task(model_, *tok_, load_task(dir_.file("mc.jsonl")), how.opts.tasks, torch::kCPU);
    EXPECT_EQ(e.tasks[0].name, "mc");
    EXPECT_EQ(e.tasks[0].acc, t.acc);
    EXPECT_EQ(e.tasks[0].nll_correct, t.nll_correct);
    EXPECT_EQ(e.tasks[0].nll_wrong, t.nll_wrong);
    EXPECT_EQ(e.task_choices, std::vector<int64_t>{5});

    ASSERT_EQ(e.codegen.size(), 1u);
    SolutionNll n = canonical_solution_nll(model_, *tok_, load_codegen_task(dir_.file("code.jsonl")),
                                           how.opts.tasks.loglik, 32, torch::kCPU);
    EXPECT_EQ(e.codegen[0].nll.nll, n.nll);
    EXPECT_GT(n.tokens, 0);
    EXPECT_FALSE(e.codegen[0].sampled.has_value());  // no sampling options: NLL only

    MetricRow row;
    add_eval_metrics(e, &row);
    EXPECT_EQ(row["val_loss"].get<double>(), v.loss);
    EXPECT_EQ(row["val_tokens"].get<int64_t>(), 160);
    EXPECT_EQ(row["task/mc/acc"].get<double>(), t.acc);
    EXPECT_EQ(row["codegen/code/nll"].get<double>(), n.nll);
    EXPECT_FALSE(row.contains("codegen/code/pass@1"));
    EXPECT_TRUE(row.contains("eval_s"));
    const std::string line = eval_summary(e);
    EXPECT_NE(line.find("val_loss "), std::string::npos) << line;
    EXPECT_NE(line.find("| mc acc "), std::string::npos) << line;
    EXPECT_NE(line.find("| code solution NLL "), std::string::npos) << line;
  }

  TempDir dir_;
  std::unique_ptr<PreparedDataset> data_;
  std::shared_ptr<const Tokenizer> tok_;
  Transformer model_{nullptr};
  EvaluatorSources sources_;
};

TEST_F(EvaluatorTest, ArEqualsTheFunctionsItComposes) { expect_same_as_by_hand(Paradigm::autoregressive()); }

TEST_F(EvaluatorTest, MdmEqualsTheFunctionsItComposes) {
  expect_same_as_by_hand(Paradigm::masked_diffusion(1e-3));
}

TEST_F(EvaluatorTest, WithoutValidationScoresOnlyTheTasks) {
  sources_.validation = false;
  sources_.codegen.clear();
  Evaluator ev(sources_, nullptr, tok_);
  EvalResult e = ev.evaluate(model_, scoring(Paradigm::autoregressive()), torch::kCPU);
  EXPECT_FALSE(e.val.has_value());
  EXPECT_EQ(e.tasks.size(), 1u);
  MetricRow row;
  add_eval_metrics(e, &row);
  EXPECT_FALSE(row.contains("val_loss"));
  EXPECT_EQ(ev.task_names(), std::vector<std::string>{"mc"});
  EXPECT_TRUE(ev.codegen_names().empty());
}

TEST_F(EvaluatorTest, TheScheduleIsTheTrainingCadence) {
  // 4096 unique tokens, 1024 tokens per step: an epoch every 4 steps; evaluate every 2 epochs.
  EvalScheduleOptions o;
  o.every_epochs = 2;
  Evaluator ev(sources_, data_.get(), tok_, EvalSchedule(o, 1024, 4096));
  std::vector<int64_t> due;
  for (int64_t s = 1; s <= 20; ++s)
    if (ev.should_evaluate(s)) due.push_back(s);
  EXPECT_EQ(due, (std::vector<int64_t>{8, 16}));
  EXPECT_TRUE(ev.epoch_end(4));
  EXPECT_FALSE(ev.epoch_end(5));
  EXPECT_DOUBLE_EQ(ev.epoch_at(6), 1.5);
  Evaluator once(sources_, data_.get(), tok_);  // crossover eval: no cadence
  EXPECT_THROW(once.should_evaluate(1), Error);
}

TEST_F(EvaluatorTest, MissingInputsFailWhenBuiltNamingTheProblem) {
  try {
    Evaluator ev(sources_, nullptr, tok_);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("validation needs the prepared dataset"), std::string::npos) << e.what();
  }
  sources_.tasks = {dir_.file("nope.jsonl")};
  try {
    Evaluator ev(sources_, data_.get(), tok_);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.jsonl"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace crossover
