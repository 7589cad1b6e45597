// The Hugging Face mapping without transformers: refusals of what has no
// faithful mapping, tensor names/shapes/row splits, and the byte tokenizer's
// alphabet against GPT-2's bytes_to_unicode (space -> "Ġ", newline -> "Ċ").
// The end-to-end check against transformers is hf_export_itest.cpp.
#include "crossover/io/hf_export.h"

#include <gtest/gtest.h>

#include <torch/torch.h>

#include "crossover/util/check.h"

namespace crossover {
namespace {

std::map<std::string, torch::Tensor> params_of(Transformer& m) {
  std::map<std::string, torch::Tensor> p;
  for (const auto& item : m->named_parameters()) p[item.key()] = item.value();
  return p;
}

TEST(HfExport, RefusesWhatHasNoFaithfulMapping) {
  auto tok = make_byte_tokenizer();
  auto moe = TransformerOptions(260, 32).n_heads(4).moe_experts(4).moe_top_k(2);
  try {
    hf_config(moe, *tok, Paradigm::autoregressive());
    FAIL() << "MoE exported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("MoE"), std::string::npos) << e.what();
  }
  EXPECT_THROW(hf_config(TransformerOptions(260, 32).qk_norm(true).bias(true), *tok, Paradigm::autoregressive()), Error);
  EXPECT_NO_THROW(hf_config(TransformerOptions(260, 32).qk_norm(false).bias(true), *tok, Paradigm::autoregressive()));
}

TEST(HfExport, ConfigNamesTheArchitectureAndTheMaskForMdm) {
  auto tok = make_byte_tokenizer();
  auto o = TransformerOptions(260, 64).n_heads(4).n_kv_heads(2).d_ff(96).max_seq_len(128);
  auto ar = hf_config(o, *tok, Paradigm::autoregressive());
  EXPECT_EQ(ar["architectures"][0], "Qwen3ForCausalLM");
  EXPECT_EQ(ar["head_dim"], 16);
  EXPECT_EQ(ar["num_key_value_heads"], 2);
  EXPECT_EQ(ar["eos_token_id"], 256);
  EXPECT_FALSE(ar.contains("is_causal"));
  auto mdm = hf_config(o, *tok, Paradigm::masked_diffusion());
  EXPECT_EQ(mdm["is_causal"], false);
  EXPECT_EQ(mdm["mask_token_id"], 259);
  // Loud for a causal-LM loader (lm-eval --model hf): the config says what it is not.
  EXPECT_NE(mdm["crossover_warning"].get<std::string>().find("NOT A CAUSAL LM"), std::string::npos);
  EXPECT_FALSE(ar.contains("crossover_warning"));
  EXPECT_EQ(mdm["crossover_objective"], "mdm");
  EXPECT_EQ(mdm["crossover_attention"], "full");
  auto bd3 = hf_config(o, *tok, Paradigm::block_diffusion(8));
  EXPECT_EQ(bd3["crossover_objective"], "bd3");
  EXPECT_EQ(bd3["block_size"], 8);
  EXPECT_EQ(bd3["crossover_attention"], "block_causal");
  EXPECT_EQ(bd3["mask_token_id"], 259);
  EXPECT_NE(bd3["crossover_warning"].get<std::string>().find("block-diffusion"), std::string::npos);
  EXPECT_FALSE(mdm.contains("block_size"));
  // lm-eval conditions an empty context on bos_token_id: crossover's boundary is EOS.
  EXPECT_EQ(ar["bos_token_id"], 256);
  EXPECT_EQ(hf_config(o.qk_norm(false), *tok, Paradigm::autoregressive())["model_type"], "llama");
}

TEST(HfExport, TensorsSplitFusedRowsUnderTransformersNames) {
  auto o = TransformerOptions(260, 32).n_layers(2).n_heads(4).n_kv_heads(2).d_ff(64);
  Transformer m(o);
  auto p = params_of(m);
  auto t = hf_tensors(p, m->options);
  std::map<std::string, torch::Tensor> hf(t.begin(), t.end());
  // embed, lm_head, final norm; per layer: 2 norms, q/k/v/o, q/k norm, gate/up/down
  EXPECT_EQ(hf.size(), 3u + 2u * 11u);
  const int64_t D = 8;
  auto& wqkv = p.at("blocks.1.attn.wqkv.weight");  // ((4 + 2·2)·8, 32)
  EXPECT_TRUE(torch::equal(hf.at("model.layers.1.self_attn.q_proj.weight"), wqkv.slice(0, 0, 4 * D)));
  EXPECT_TRUE(torch::equal(hf.at("model.layers.1.self_attn.k_proj.weight"),
                           wqkv.slice(0, 4 * D, 6 * D)));
  EXPECT_TRUE(torch::equal(hf.at("model.layers.1.self_attn.v_proj.weight"), wqkv.slice(0, 6 * D)));
  auto& gu = p.at("blocks.0.ffn.gate_up.weight");  // (2·64, 32)
  EXPECT_TRUE(torch::equal(hf.at("model.layers.0.mlp.gate_proj.weight"), gu.slice(0, 0, 64)));
  EXPECT_TRUE(torch::equal(hf.at("model.layers.0.mlp.up_proj.weight"), gu.slice(0, 64)));
  EXPECT_TRUE(torch::equal(hf.at("lm_head.weight"), p.at("head.weight")));
  EXPECT_EQ(hf.at("model.layers.0.self_attn.q_norm.weight").sizes(), torch::IntArrayRef({D}));

  Transformer tied(TransformerOptions(260, 32).n_layers(1).tie_embeddings(true).qk_norm(false));
  auto t2 = hf_tensors(params_of(tied), tied->options);
  for (const auto& [name, _] : t2) EXPECT_NE(name, "lm_head.weight");
}

TEST(HfExport, ByteTokenizerUsesGpt2ByteAlphabet) {
  auto tok = make_byte_tokenizer();
  auto j = hf_byte_tokenizer_json(*tok);
  const auto& vocab = j["model"]["vocab"];
  EXPECT_EQ(vocab.size(), 256u);
  EXPECT_EQ(vocab["\xc4\xa0"], 32);   // "Ġ" U+0120 = space
  EXPECT_EQ(vocab["\xc4\x8a"], 10);   // "Ċ" U+010A = newline
  EXPECT_EQ(vocab["\xc4\x80"], 0);    // "Ā" U+0100 = byte 0
  EXPECT_EQ(vocab["a"], 97);
  EXPECT_EQ(vocab["\xc3\xbf"], 255);  // "ÿ" maps to itself
  ASSERT_EQ(j["added_tokens"].size(), 4u);
  EXPECT_EQ(j["added_tokens"][0]["content"], "<|eos|>");
  EXPECT_EQ(j["added_tokens"][3]["id"], 259);
}

}  // namespace
}  // namespace crossover
