// `crossover export --format hf` checked against transformers itself: tiny AR
// and MDM runs are trained, exported, loaded with AutoModelForCausalLM
// (tests/reference/hf_export_check.py, venv Python, CPU, float32) and their
// logits compared with crossover's on the same tokens (≤ 1e-4 relative):
//   ar        Qwen3 (QK-norm, GQA 4/2 heads, untied head)
//   ar_llama  Llama (no QK-norm, biases, tied embeddings)
//   mdm       Qwen3 with full attention (config is_causal: false, and an
//             explicit 4-D mask), [MASK] tokens in the input
//   bd3       Qwen3, block diffusion (block 16): an explicit 4-D block-causal
//             mask gives crossover's block_causal(16) logits
//   ar_sp     Qwen3 on a SentencePiece dataset
// The exported tokenizer (byte: tokenizer.json; SentencePiece: tokenizer.model
// for LlamaTokenizer) must give crossover's ids and decode back.
// Also an independent check of crossover's model code. Models ~30k
// parameters; the whole suite takes well under a minute.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <iostream>

#include "crossover/eval/checkpoint_model.h"
#include "crossover/io/safetensors.h"
#include "crossover/util/strings.h"
#include "test_util.h"

namespace crossover {
namespace {
using namespace crossover::testing;  // test_util.h

class HfExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    crossover::testing::make_tiny_dataset(*dir_);
    auto r = run_crossover("data prepare --source " + dir_->file("corpus") + " --tokenizer "
                           "sentencepiece --vocab-size 320 --val-docs 6 --out " + dir_->file("data_sp"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    train("ar", "ar", "  n_kv_heads: 2\n");
    train("ar_llama", "ar", "  qk_norm: false\n  bias: true\n  tie_embeddings: true\n");
    train("mdm", "mdm", "  n_kv_heads: 2\n");
    train("bd3", "bd3\n  block_size: 16", "  n_kv_heads: 2\n");
    train("ar_sp", "ar", "", "data_sp");
  }
  static void TearDownTestSuite() { delete dir_; }

  static void train(const std::string& name, const std::string& kind, const std::string& model,
                    const std::string& data = "data") {
    std::string path = dir_->file(name + ".yaml");
    write_file(path, "base: " + source_path("configs/base.yaml") + "\nrun:\n  name: " + name +
                         "\n  dir: " + dir_->file("runs") + "\n  seed: 5\nruntime:\n  threads: 1\n"
                         "  device: cpu\nmodel:\n  d_model: 32\n  n_layers: 2\n  n_heads: 4\n"
                         "  max_seq_len: 64\n" + model + "objective:\n  kind: " + kind +
                         "\ndata:\n  path: " + dir_->file(data) + "\n  seq_len: 64\n"
                         "train:\n  total_tokens: 10240\n  batch_size: 8\n  lr: 3.0e-3\n"
                         "  lr_warmup_steps: 5\n  log_every: 10\n  eval_each_epoch: false\n"
                         "eval:\n  val_tokens: 1024\n  mc_samples: 1\n");
    auto r = run_crossover("train " + path);
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }

  // Exports run `name`, writes crossover's logits on fixed tokens, runs the
  // transformers check and returns its JSON.
  static nlohmann::json export_and_compare(const std::string& name) {
    const std::string run = dir_->file("runs/" + name), out = dir_->file("hf/" + name);
    auto r = run_crossover("export " + run + " --format hf --out " + out);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    CheckpointModel m = load_checkpoint_model(run, {"", "", "cpu"});
    torch::manual_seed(11);
    auto tokens = torch::randint(0, 256, {2, 48}, torch::kInt64);  // (B, T)
    tokens.index_put_({0, 0}, m.tokenizer->eos_id());               // a document boundary
    const Paradigm& p = m.paradigm;
    if (p.is_diffusion()) {                                         // ~40% [MASK]
      auto masked = torch::rand({2, 48}) < 0.4;
      tokens = torch::where(masked, torch::full_like(tokens, m.tokenizer->mask_id()), tokens);
    }
    torch::NoGradGuard g;
    const AttentionLayout layout = p.is_autoregressive() ? AttentionLayout::causal()
                                   : p.kind == ParadigmKind::block_diffusion
                                       ? AttentionLayout::block_causal(p.block_size)
                                       : AttentionLayout::full();
    auto logits = m.model->forward(tokens, layout).logits;         // (B, T, V)
    const std::string text = "def gamma_3(x, y):\n    return x * 7 + y  # \xc3\xa9t\xc3\xa9\n";
    auto ids = m.tokenizer->encode(text);
    nlohmann::json ids_json = ids;
    const std::string fixture = dir_->file(name + "_fixture.safetensors");
    save_safetensors(fixture, {{"tokens", tokens}, {"logits", logits}},
                     {{"text", text}, {"ids", ids_json.dump()}});
    const std::string result = dir_->file(name + "_result.json");
    r = run_shell(str_cat("HF_HUB_OFFLINE=1 ", CROSSOVER_PYTHON, " ",
                          source_path("tests/reference/hf_export_check.py"), " --model ", out,
                          " --fixture ", fixture, " --out ", result,
                          p.kind == ParadigmKind::masked_diffusion ? " --diffusion" : "",
                          p.kind == ParadigmKind::block_diffusion
                              ? str_cat(" --block-size ", p.block_size) : std::string()));
    if (r.exit_code == 3) return {{"missing", r.out}};
    EXPECT_EQ(r.exit_code, 0) << r.out;
    if (r.exit_code != 0) return {{"failed", r.out}};
    auto j = nlohmann::json::parse(read_file(result));
    j["crossover_ids"] = ids_json;
    j["text"] = text;
    std::cout << "[ hf-export ] " << name << ": " << j.dump() << "\n";
    return j;
  }

  static TempDir* dir_;
};
TempDir* HfExportTest::dir_ = nullptr;

#define SKIP_WITHOUT_TRANSFORMERS(j) \
  if ((j).contains("missing")) GTEST_SKIP() << "venv has no transformers: " << (j)["missing"]

TEST_F(HfExportTest, ArQwen3LogitsMatchTransformers) {
  auto j = export_and_compare("ar");
  SKIP_WITHOUT_TRANSFORMERS(j);
  EXPECT_EQ(j["class"], "Qwen3ForCausalLM");
  EXPECT_LE(j["rel"].get<double>(), 1e-4) << j.dump();
  EXPECT_EQ(j["tokenizer_ids"], j["crossover_ids"]);  // byte tokenizer.json: id = byte
  EXPECT_EQ(j["decoded"], j["text"]);
}

TEST_F(HfExportTest, ArLlamaWithBiasAndTiedEmbeddingsMatchesTransformers) {
  auto j = export_and_compare("ar_llama");
  SKIP_WITHOUT_TRANSFORMERS(j);
  EXPECT_EQ(j["class"], "LlamaForCausalLM");
  EXPECT_LE(j["rel"].get<double>(), 1e-4) << j.dump();
}

TEST_F(HfExportTest, ArSentencePieceTokenizerMatchesCrossover) {
  auto j = export_and_compare("ar_sp");
  SKIP_WITHOUT_TRANSFORMERS(j);
  EXPECT_LE(j["rel"].get<double>(), 1e-4) << j.dump();
  EXPECT_EQ(j["tokenizer_ids"], j["crossover_ids"]);  // LlamaTokenizer on tokenizer.model
  EXPECT_EQ(j["decoded"], j["text"]);
  EXPECT_GT(j["crossover_ids"].size(), 0u);
}

TEST_F(HfExportTest, MdmLogitsMatchTransformersWithFullAttention) {
  auto j = export_and_compare("mdm");
  SKIP_WITHOUT_TRANSFORMERS(j);
  EXPECT_LE(j["rel"].get<double>(), 1e-4) << j.dump();                // is_causal: false
  EXPECT_LE(j["mask4d_rel"].get<double>(), 1e-4) << j.dump();         // explicit full mask
  EXPECT_GT(j["causal_gap"].get<double>(), 1e-2) << "causal attention gives the same logits: "
                                                    "the check would not see a causal export";
  auto cfg = nlohmann::json::parse(read_file(dir_->file("hf/mdm/config.json")));
  EXPECT_EQ(cfg["is_causal"], false);
  EXPECT_EQ(cfg["mask_token_id"], 259);
}

TEST_F(HfExportTest, Bd3LogitsMatchTransformersWithABlockCausalMask) {
  auto j = export_and_compare("bd3");
  SKIP_WITHOUT_TRANSFORMERS(j);
  EXPECT_LE(j["mask4d_rel"].get<double>(), 1e-4) << j.dump();         // block-causal 4-D mask
  EXPECT_GT(j["full_gap"].get<double>(), 1e-2) << "full attention gives the same logits: the "
                                                  "check would not see a full-attention export";
  EXPECT_GT(j["causal_gap"].get<double>(), 1e-2) << j.dump();
  auto cfg = nlohmann::json::parse(read_file(dir_->file("hf/bd3/config.json")));
  EXPECT_EQ(cfg["crossover_objective"], "bd3");
  EXPECT_EQ(cfg["block_size"], 16);
  EXPECT_EQ(cfg["crossover_attention"], "block_causal");
  EXPECT_EQ(cfg["is_causal"], false);
  EXPECT_EQ(cfg["mask_token_id"], 259);
  EXPECT_NE(read_file(dir_->file("hf/bd3/README.md")).find("block-causal"), std::string::npos);
}

TEST_F(HfExportTest, RefusesUnknownFormat) {
  auto r = run_crossover("export " + dir_->file("runs/ar") + " --format gguf --out " +
                         dir_->file("hf/x"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--format hf"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace crossover
