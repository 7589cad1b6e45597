// hf_export.cpp — crossover weights, config and tokenizer as a transformers folder.
#include "crossover/io/hf_export.h"

#include <sentencepiece_processor.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "crossover/io/run_layout.h"
#include "crossover/io/safetensors.h"
#include "crossover/util/check.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

const torch::Tensor& param(const std::map<std::string, torch::Tensor>& params,
                           const std::string& name) {
  auto it = params.find(name);
  CROSSOVER_CHECK(it != params.end(), "checkpoint has no parameter '", name,
                  "'; hint: it does not match its own config (model section)");
  return it->second;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  CROSSOVER_CHECK(out, "cannot write '", path, "'");
}

// GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to
// U+0100 onwards; ByteLevel (pre-)tokenizers in `tokenizers` use this alphabet.
std::string byte_symbol(int b) {
  auto printable = [](int c) {
    return (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
  };
  int code = b;
  if (!printable(b)) {
    code = 256;
    for (int c = 0; c < b; ++c) code += !printable(c);
  }
  std::string s;  // UTF-8 of a code point < 0x800
  if (code < 0x80) {
    s.push_back(static_cast<char>(code));
  } else {
    s.push_back(static_cast<char>(0xC0 | (code >> 6)));
    s.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
  return s;
}

std::string special_name(const Tokenizer& tok, int32_t id) {
  return tok.decode({id}, /*skip_special=*/false);
}

// Loaded as a causal LM (lm-eval's `hf` backend, AutoModelForCausalLM +
// next-token scoring) a diffusion export runs and returns numbers that are not
// log-likelihoods; the config and the README say so first.
std::string not_causal_warning(const Paradigm& p) {
  return str_cat("NOT A CAUSAL LM: ",
                 p.kind == ParadigmKind::block_diffusion
                     ? "a block-diffusion model (blocks left to right, masked diffusion inside a "
                       "block; block-causal attention)"
                     : "a bidirectional masked-diffusion model",
                 ". Next-token log-likelihoods from it (lm-eval --model hf, perplexity scripts) "
                 "are meaningless. Score it with crossover's lm-eval backend: python -m "
                 "crossover_lm_eval --model crossover --model_args run=RUN_DIR (docs/eval.md), or "
                 "crossover eval.");
}

std::string what_it_is(const Paradigm& p) {
  switch (p.kind) {
    case ParadigmKind::autoregressive: return "An autoregressive language model";
    case ParadigmKind::masked_diffusion: return "A masked-diffusion (MDM) language model";
    case ParadigmKind::block_diffusion:
      return str_cat("A block-diffusion (BD3, block size ", p.block_size, ") language model");
  }
  return "A language model";
}

std::string readme(const HfExportSource& src, const std::string& arch, const std::string& dir) {
  const Paradigm& p = src.paradigm;
  std::string s = str_cat(
      "# crossover export\n\n", what_it_is(p), " trained with crossover, exported from `", src.origin,
      "` (step ", src.step, ") as `", arch, "`. The weights are float32.\n\n");
  std::string load = str_cat("```python\nimport torch\nfrom transformers import AutoModelForCausalLM, "
                             "AutoTokenizer\nmodel = AutoModelForCausalLM.from_pretrained(\"", dir,
                             "\", dtype=torch.float32)\ntok = AutoTokenizer.from_pretrained(\"", dir,
                             "\")\nids = tok(\"def add(x, y):\\n    return x + y\", "
                             "return_tensors=\"pt\").input_ids  # (1, T)\n");
  if (p.is_autoregressive())
    return s + load + "logits = model(input_ids=ids).logits  # (1, T, V)\n```\n";
  if (p.kind == ParadigmKind::block_diffusion)
    return s + str_cat(
                   "> **Warning — ", not_causal_warning(p), "**\n\n",
                   "Its attention is **block-causal** with blocks of `block_size` = ", p.block_size,
                   " tokens from position 0: position i sees position j when j // ", p.block_size,
                   " <= i // ", p.block_size, " (config.json: `\"crossover_attention\": "
                   "\"block_causal\"`). No transformers config flag expresses that, so pass the mask "
                   "explicitly (without it the model runs with full attention, `\"is_causal\": false`). "
                   "The [MASK] id is `mask_token_id` = ", src.tokenizer->mask_id(), ". Logits at "
                   "masked positions of the last block predict the original tokens, given the clean "
                   "blocks before it; `generate()` does not apply (crossover sample decodes block by "
                   "block).\n\n", load,
                   "b = model.config.block_size\n"
                   "ids[0, -1] = model.config.mask_token_id   # hide the last token\n"
                   "blk = torch.arange(ids.shape[1]) // b\n"
                   "mask = (blk[None, :] <= blk[:, None])[None, None]  # (1, 1, T, T) block-causal\n"
                   "logits = model(input_ids=ids, attention_mask=mask).logits  # (1, T, V)\n"
                   "print(tok.decode(logits[0, -1:].argmax(-1)))\n```\n");
  return s + str_cat(
                 "> **Warning — ", not_causal_warning(p), "**\n\n",
                 "It is **bidirectional**: every position attends to every other one (config.json "
                 "has `\"is_causal\": false`, which transformers >= 5 honours for this architecture). "
                 "The [MASK] id is `mask_token_id` = ", src.tokenizer->mask_id(),
                 ". Its logits at masked positions predict the original tokens; `generate()` does not "
                 "apply.\n\n", load,
                 "ids[0, -5:] = model.config.mask_token_id   # hide the last 5 tokens\n"
                 "full = torch.ones(1, 1, ids.shape[1], ids.shape[1], dtype=torch.bool)  # full attention\n"
                 "logits = model(input_ids=ids, attention_mask=full).logits  # (1, T, V)\n"
                 "print(tok.decode(logits[0, -5:].argmax(-1)))\n```\n\n"
                 "The explicit 4-D all-true mask gives full attention also on transformers versions "
                 "that ignore `is_causal`.\n");
}

}  // namespace

nlohmann::ordered_json hf_config(const TransformerOptions& o, const Tokenizer& tok,
                                 const Paradigm& paradigm) {
  const bool diffusion = paradigm.is_diffusion();
  CROSSOVER_CHECK(o.moe_experts() == 0, "model.moe_experts=", o.moe_experts(), ": MoE blocks have "
                  "no faithful Qwen3/Llama mapping (top-", o.moe_top_k(), " routing, crossover's "
                  "router); hint: export a dense model");
  CROSSOVER_CHECK(!(o.bias() && o.qk_norm()), "model.bias with qk_norm: Qwen3 has no MLP bias, so "
                  "this model has no faithful mapping; hint: only qk_norm: false models (Llama, "
                  "attention_bias + mlp_bias) export with biases");
  const int64_t D = o.d_model() / o.n_heads();
  const int64_t Hkv = o.n_kv_heads() == 0 ? o.n_heads() : o.n_kv_heads();
  const std::string arch = o.qk_norm() ? "Qwen3ForCausalLM" : "LlamaForCausalLM";
  nlohmann::ordered_json c;
  c["architectures"] = nlohmann::ordered_json::array({arch});
  c["model_type"] = o.qk_norm() ? "qwen3" : "llama";
  c["vocab_size"] = o.vocab_size();
  c["hidden_size"] = o.d_model();
  c["intermediate_size"] = o.d_ff();
  c["num_hidden_layers"] = o.n_layers();
  c["num_attention_heads"] = o.n_heads();
  c["num_key_value_heads"] = Hkv;
  c["head_dim"] = D;
  c["hidden_act"] = "silu";
  c["max_position_embeddings"] = o.max_seq_len();
  c["rms_norm_eps"] = o.norm_eps();
  c["rope_theta"] = o.rope_theta();  // transformers < 5
  c["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", o.rope_theta()}};
  c["tie_word_embeddings"] = o.tie_embeddings();
  c["attention_bias"] = o.bias();
  if (!o.qk_norm()) c["mlp_bias"] = o.bias();
  c["attention_dropout"] = 0.0;
  c["initializer_range"] = o.init_std();
  if (o.qk_norm()) c["use_sliding_window"] = false;
  // BOS = EOS: crossover conditions a document's start on EOS (the boundary it
  // trains on; its BOS id is never trained), and lm-eval's empty-context prefix
  // is the tokenizer's bos_token_id.
  c["bos_token_id"] = tok.eos_id();
  c["eos_token_id"] = tok.eos_id();
  c["pad_token_id"] = tok.pad_id();
  c["dtype"] = "float32";
  c["use_cache"] = !diffusion;
  if (diffusion) {
    c["is_causal"] = false;
    c["mask_token_id"] = tok.mask_id();
    const bool blocks = paradigm.kind == ParadigmKind::block_diffusion;
    if (blocks) c["block_size"] = paradigm.block_size;
    c["crossover_attention"] = blocks ? "block_causal" : "full";
    c["crossover_warning"] = not_causal_warning(paradigm);
  }
  c["crossover_objective"] = paradigm.name();
  return c;
}

std::vector<std::pair<std::string, torch::Tensor>> hf_tensors(
    const std::map<std::string, torch::Tensor>& params, const TransformerOptions& o) {
  const int64_t D = o.d_model() / o.n_heads(), H = o.n_heads(), F = o.d_ff();
  const int64_t Hkv = o.n_kv_heads() == 0 ? H : o.n_kv_heads();
  std::vector<std::pair<std::string, torch::Tensor>> out;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    out.emplace_back(name, t.detach().to(torch::kCPU, torch::kFloat32).contiguous());
  };
  auto add_linear = [&](const std::string& from, const std::string& to) {
    add(to + ".weight", param(params, from + ".weight"));
    if (o.bias()) add(to + ".bias", param(params, from + ".bias"));
  };
  add("model.embed_tokens.weight", param(params, "tok_emb.weight"));  // (V, C)
  for (int64_t i = 0; i < o.n_layers(); ++i) {
    const std::string b = str_cat("blocks.", i, "."), l = str_cat("model.layers.", i, ".");
    add(l + "input_layernorm.weight", param(params, b + "attn_norm.weight"));
    // wqkv rows [q: H·D | k: Hkv·D | v: Hkv·D]; the bias splits the same way.
    for (std::string kind : {"weight", "bias"}) {
      if (kind == "bias" && !o.bias()) continue;
      auto qkv = param(params, b + "attn.wqkv." + kind).split({H * D, Hkv * D, Hkv * D}, 0);
      add(l + "self_attn.q_proj." + kind, qkv[0]);  // (H·D, C)
      add(l + "self_attn.k_proj." + kind, qkv[1]);  // (Hkv·D, C)
      add(l + "self_attn.v_proj." + kind, qkv[2]);  // (Hkv·D, C)
    }
    if (o.qk_norm()) {
      add(l + "self_attn.q_norm.weight", param(params, b + "attn.q_norm.weight"));  // (D)
      add(l + "self_attn.k_norm.weight", param(params, b + "attn.k_norm.weight"));  // (D)
    }
    add_linear(b + "attn.wo", l + "self_attn.o_proj");
    add(l + "post_attention_layernorm.weight", param(params, b + "ffn_norm.weight"));
    for (std::string kind : {"weight", "bias"}) {
      if (kind == "bias" && !o.bias()) continue;
      auto gu = param(params, b + "ffn.gate_up." + kind).split({F, F}, 0);  // rows [gate | up]
      add(l + "mlp.gate_proj." + kind, gu[0]);  // (F, C)
      add(l + "mlp.up_proj." + kind, gu[1]);    // (F, C)
    }
    add_linear(b + "ffn.down", l + "mlp.down_proj");
  }
  add("model.norm.weight", param(params, "norm.weight"));
  if (!o.tie_embeddings()) add("lm_head.weight", param(params, "head.weight"));  // (V, C)
  return out;
}

nlohmann::ordered_json hf_byte_tokenizer_json(const Tokenizer& tok) {
  CROSSOVER_CHECK(tok.name() == "byte", "hf_byte_tokenizer_json wants the byte tokenizer, got ",
                  tok.name());
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (int32_t id = 256; id < tok.vocab_size(); ++id)
    added.push_back({{"id", id}, {"content", special_name(tok, id)}, {"single_word", false},
                     {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                     {"special", true}});
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_symbol(b)] = b;
  nlohmann::ordered_json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false},
                                       {"trim_offsets", false}, {"use_regex", false}};
  nlohmann::ordered_json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = added;
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = byte_level;
  j["post_processor"] = nullptr;
  j["decoder"] = byte_level;
  j["model"] = {{"type", "BPE"},          {"dropout", nullptr},
                {"unk_token", nullptr},   {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
                {"byte_fallback", false}, {"ignore_merges", false},
                {"vocab", vocab},         {"merges", nlohmann::ordered_json::array()}};
  return j;
}

const std::vector<std::string>& hf_export_file_names() {
  static const std::vector<std::string> names = {
      "config.json",    "generation_config.json", "model.safetensors", "tokenizer.json",
      "tokenizer.model", "tokenizer_config.json", "README.md"};
  return names;
}

void check_hf_export_out(const std::string& out_dir, bool overwrite) {
  if (out_dir.empty()) throw UsageError("export: --out is empty; hint: --out export/<name>");
  const std::string run = enclosing_run_dir(out_dir);
  if (!run.empty())
    throw UsageError(str_cat("export: --out '", out_dir, "' is inside the run or checkpoint ",
                             "directory '", run, "', whose files an export would overwrite; ",
                             "refused even with --overwrite; hint: --out a folder outside the ",
                             "runs, e.g. export/<name>"));
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    throw UsageError(str_cat("export: --out '", out_dir, "' is a file, not a folder"));
  if (fs::is_directory(out_dir, ec) && !fs::is_empty(out_dir, ec) && !overwrite)
    throw UsageError(str_cat("export: --out '", out_dir, "' is not empty; hint: --overwrite ",
                             "replaces an earlier export there, or choose a new folder"));
}

void export_hf(const HfExportSource& src, const std::string& out_dir, bool overwrite) {
  CROSSOVER_CHECK(src.tokenizer != nullptr, "export_hf needs the model's tokenizer");
  const Tokenizer& tok = *src.tokenizer;
  check_hf_export_out(out_dir, overwrite);
  auto config = hf_config(src.options, tok, src.paradigm);  // refuses before writing anything
  auto tensors = hf_tensors(src.params, src.options);
  fs::create_directories(out_dir);
  for (const auto& name : hf_export_file_names()) {  // only reached empty or with --overwrite
    const fs::path p = fs::path(out_dir) / name;
    if (fs::is_regular_file(fs::symlink_status(p))) fs::remove(p);
  }
  const std::string dir = out_dir + "/";
  write_text(dir + "config.json", config.dump(2) + "\n");
  nlohmann::ordered_json gen = {{"bos_token_id", tok.eos_id()},  // BOS = EOS (hf_config)
                                {"eos_token_id", tok.eos_id()},
                                {"pad_token_id", tok.pad_id()},
                                {"max_length", src.options.max_seq_len()}};
  write_text(dir + "generation_config.json", gen.dump(2) + "\n");
  save_safetensors(dir + "model.safetensors", tensors, {{"format", "pt"}});

  nlohmann::ordered_json tc;
  tc["model_max_length"] = src.options.max_seq_len();
  tc["clean_up_tokenization_spaces"] = false;
  tc["add_bos_token"] = false;
  tc["add_eos_token"] = false;
  // Text is tokenised as crossover does: a special token's string ("[MASK]",
  // "<|eos|>") inside text is its bytes, never the special id.
  tc["split_special_tokens"] = true;
  if (tok.name() == "byte") {
    write_text(dir + "tokenizer.json", hf_byte_tokenizer_json(tok).dump(2) + "\n");
    tc["tokenizer_class"] = "PreTrainedTokenizerFast";
    tc["bos_token"] = special_name(tok, tok.eos_id());  // BOS = EOS (hf_config)
    tc["eos_token"] = special_name(tok, tok.eos_id());
    tc["pad_token"] = special_name(tok, tok.pad_id());
    tc["mask_token"] = special_name(tok, tok.mask_id());
  } else {
    CROSSOVER_CHECK(fs::exists(src.tokenizer_model), "SentencePiece model '", src.tokenizer_model,
                    "' not found; hint: pass --data DIR of the prepared dataset");
    fs::copy_file(src.tokenizer_model, dir + "tokenizer.model",
                  fs::copy_options::overwrite_existing);
    tc["tokenizer_class"] = "LlamaTokenizer";
    tc["add_prefix_space"] = false;  // crossover trains without SentencePiece's dummy prefix
    tc["legacy"] = false;
    // Specials by their piece names; one the .model lacks (crossover gave it an
    // id after the pieces) has no token there and is left out.
    sentencepiece::SentencePieceProcessor sp;
    CROSSOVER_CHECK(sp.Load(src.tokenizer_model).ok(), "cannot load '", src.tokenizer_model, "'");
    auto piece = [&](const char* key, int32_t id) {
      if (id >= 0 && id < sp.GetPieceSize()) tc[key] = sp.IdToPiece(id);
    };
    piece("unk_token", sp.unk_id());
    piece("bos_token", tok.eos_id());  // BOS = EOS (hf_config)
    piece("eos_token", tok.eos_id());
    piece("pad_token", tok.pad_id());
    piece("mask_token", tok.mask_id());
  }
  write_text(dir + "tokenizer_config.json", tc.dump(2) + "\n");
  write_text(dir + "README.md", readme(src, config["architectures"][0].get<std::string>(), out_dir));
}

}  // namespace crossover
