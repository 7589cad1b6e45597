// hf_export.h — a trained crossover model as a Hugging Face transformers folder
// (`crossover export RUN|CHECKPOINT --format hf --out DIR`).
//
// The architecture maps onto an existing transformers class, no custom code:
//   qk_norm on  -> Qwen3ForCausalLM  (RMSNorm over D on each q/k head, before RoPE)
//   qk_norm off -> LlamaForCausalLM  (also the only one that takes model.bias:
//                                     attention_bias + mlp_bias)
// Both use rotate-half RoPE over the whole head (as crossover, rope.h), GQA with
// each key/value head serving consecutive query heads (repeat_kv ==
// repeat_interleave), SwiGLU, pre-norm RMSNorm with weight·x/rms(x) in float32,
// so the weights need no permutation, only splitting:
//   tok_emb.weight                 -> model.embed_tokens.weight
//   blocks.i.attn_norm.weight      -> model.layers.i.input_layernorm.weight
//   blocks.i.attn.wqkv.weight      -> model.layers.i.self_attn.{q,k,v}_proj.weight (rows [q|k|v])
//   blocks.i.attn.{q,k}_norm.weight-> model.layers.i.self_attn.{q,k}_norm.weight
//   blocks.i.attn.wo.weight        -> model.layers.i.self_attn.o_proj.weight
//   blocks.i.ffn_norm.weight       -> model.layers.i.post_attention_layernorm.weight
//   blocks.i.ffn.gate_up.weight    -> model.layers.i.mlp.{gate,up}_proj.weight (rows [gate|up])
//   blocks.i.ffn.down.weight       -> model.layers.i.mlp.down_proj.weight
//   norm.weight                    -> model.norm.weight
//   head.weight                    -> lm_head.weight (absent when tied: tie_word_embeddings)
// Refused (no faithful mapping): MoE blocks, and biases with QK-norm (Qwen3's
// MLP has no bias).
//
// A masked-diffusion (MDM) model has the same weights; its config.json adds
// "is_causal": false (transformers >= 5 then builds a bidirectional mask for
// Qwen3/Llama), "mask_token_id" (as LLaDA and Dream name it) and
// "crossover_objective": "mdm"; the folder's README.md shows its logits with full
// attention. A block-diffusion (BD3) model is exported the same way with
// "crossover_objective": "bd3", "block_size": b and "crossover_attention":
// "block_causal" (position i sees j when j // b <= i // b); no transformers
// config flag expresses that mask, so its README passes it as an explicit 4-D
// boolean attention mask (the way the tests load it). The tokenizer: byte -> tokenizer.json (ByteLevel, ids = bytes, the
// four specials as added tokens); sentencepiece -> tokenizer.model for
// LlamaTokenizer (no dummy prefix, no BOS added).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "crossover/data/tokenizer.h"
#include "crossover/model/transformer.h"
#include "crossover/objective/paradigm.h"

namespace crossover {

struct HfExportSource {
  TransformerOptions options{0, 0};
  std::map<std::string, torch::Tensor> params;  // crossover names (transformer.h)
  const Tokenizer* tokenizer = nullptr;
  std::string tokenizer_model;  // the SentencePiece .model file; "" for the byte tokenizer
  Paradigm paradigm;            // the model's (objective/paradigm.h)
  std::string origin;           // the checkpoint directory, for the README
  int64_t step = 0;
};

// config.json; throws Error for an architecture with no faithful mapping.
nlohmann::ordered_json hf_config(const TransformerOptions& o, const Tokenizer& tok,
                                 const Paradigm& paradigm);

// The transformers state dict: HF names -> float32 tensors (q/k/v and gate/up split).
std::vector<std::pair<std::string, torch::Tensor>> hf_tensors(
    const std::map<std::string, torch::Tensor>& params, const TransformerOptions& o);

// The byte tokenizer as a `tokenizers` tokenizer.json: ByteLevel pre-tokenizer
// and decoder without regex splitting, a BPE with the 256 byte symbols and no
// merges (so id = byte value), and the specials at their crossover ids.
nlohmann::ordered_json hf_byte_tokenizer_json(const Tokenizer& tok);

// The files an export writes (README.md included): what --overwrite replaces.
const std::vector<std::string>& hf_export_file_names();

// Refuses (UsageError) an output folder that would destroy something the
// export did not create: any path inside a run or checkpoint directory
// (run_layout.h: enclosing_run_dir; resolved with weakly_canonical, so '..'
// and symlinks do not hide one), a path that is a file, and a non-empty folder
// unless `overwrite`.
void check_hf_export_out(const std::string& out_dir, bool overwrite);

// check_hf_export_out, then writes config.json, generation_config.json,
// model.safetensors, the tokenizer files and README.md into out_dir (created).
// With `overwrite`, earlier export files there are removed first (a stale
// tokenizer.model next to a new tokenizer.json would mislead AutoTokenizer);
// nothing else in the folder is touched.
void export_hf(const HfExportSource& src, const std::string& out_dir, bool overwrite = false);

}  // namespace crossover
