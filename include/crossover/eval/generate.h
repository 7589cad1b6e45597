// generate.h — sampling text from a trained model, for every paradigm.
//
// AR: left-to-right, one token per forward pass through the KV cache
// (model/kv_cache.h); temperature, top-k and top-p (nucleus) filtering;
// temperature 0 = greedy. Rows stop at EOS (later positions are filled with
// EOS). use_cache = false recomputes the whole prefix every step (the
// reference the cache is tested against).
//
// Three samplers, one per paradigm (objective/paradigm.h), and the factory
// generate() that picks one.
//
// MDM: LLaDA's iterative unmasking. The answer region starts as [MASK]; it is
// split into blocks of block_length decoded left to right (semi-autoregressive;
// block_length = gen_length is fully parallel), each block in steps/num_blocks
// steps. Every step predicts all masked positions at once, with Gumbel-max
// sampling in float64 (LLaDA's add_gumbel_noise: exp(logits) / (−log u)^temperature,
// argmax; temperature 0 = argmax), and commits the k most confident of the
// current block's masked positions (low_confidence: the predicted token's
// softmax probability; random: a uniform score), with k spread evenly over the
// block's steps. The prompt is never changed; the output holds no [MASK]
// (a prompt with [MASK] is refused). Only the current block's logits are taken
// to float64 ((B, L, V), not (B, T, V)); the Gumbel noise is drawn for those
// positions only (a sampled stream differs from that of the earlier full-T
// draw; temperature 0 is unchanged).
//
// BD3 (block diffusion): blocks of the model's block_size tokens, aligned to
// position 0 of the row as in training, are generated left to right; inside a
// block, LLaDA's low-confidence unmasking as above (Gumbel-max in float64,
// the k most confident masked positions committed per step). The block that
// holds the prompt's end keeps its prompt tokens and unmasks only the rest.
// With the KV cache (the default) each denoising step is one forward over the
// current block only, attending to the cached keys/values of the final blocks
// before it (model/kv_cache.h); a block joins the cache with one more forward
// once it is final. use_cache = false runs the whole prefix under
// block_causal(b) attention every step (the reference the cache is tested
// against: same seed, same tokens). Rows stop after the block in which every
// row has produced EOS (or is done by row_done: a stop sequence).
//
// bf16: the forward passes run under the bf16 autocast scope training uses
// (util/autocast.h; CUDA only), so sampling computes as the model was trained.
//
// Every draw comes from the generator passed in (seed it with make_generator):
// the same seed gives the same samples. All rows of the batch are generated
// together.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crossover/data/tokenizer.h"
#include "crossover/model/transformer.h"
#include "crossover/objective/paradigm.h"

namespace crossover {

struct ArSampleOptions {
  int64_t max_new_tokens = 128;
  double temperature = 1.0;            // 0 = greedy
  int64_t top_k = 0;                   // 0 = off
  double top_p = 1.0;                  // 1 = off
  int64_t eos_id = -1;                 // stop token (-1: none)
  std::vector<int64_t> banned_ids;     // never sampled ([MASK], PAD, BOS)
  bool use_cache = true;
  bool bf16 = false;                   // autocast bf16 forward passes (CUDA)
};

// prompt: (B, P) int64, P >= 1 (rows share the length; use EOS as a
// document-start prompt). Returns (B, P + n) with n <= max_new_tokens
// (fewer when every row hit EOS or the model's max_seq_len is reached).
torch::Tensor ar_generate(Transformer& model, const torch::Tensor& prompt,
                          const ArSampleOptions& opts, torch::Generator& gen);

struct MdmSampleOptions {
  int64_t gen_length = 128;
  int64_t steps = 128;                 // total over all blocks; divisible by the block count
  int64_t block_length = 128;          // divides gen_length
  double temperature = 0.0;            // Gumbel noise temperature; 0 = argmax
  std::string remasking = "low_confidence";  // low_confidence | random
  int64_t mask_id = -1;
  std::vector<int64_t> banned_ids;     // never predicted ([MASK] always is)
  bool bf16 = false;                   // autocast bf16 forward passes (CUDA)
};

// prompt: (B, P) int64. Returns (B, P + gen_length): the prompt unchanged and
// no [MASK] left.
torch::Tensor mdm_generate(Transformer& model, const torch::Tensor& prompt,
                           const MdmSampleOptions& opts, torch::Generator& gen);

struct Bd3SampleOptions {
  int64_t gen_length = 128;            // new tokens (fewer when every row has stopped at EOS)
  int64_t block_size = 16;             // the model's objective.block_size
  int64_t steps_per_block = 0;         // denoising steps per block (<= block_size); 0 = block_size
  double temperature = 0.0;            // Gumbel noise temperature; 0 = argmax
  std::string remasking = "low_confidence";  // low_confidence | random
  int64_t mask_id = -1;
  int64_t eos_id = -1;                 // stop after the block where every row has one (-1: never)
  // Optional: whether a row is finished, given its new tokens so far (1-D,
  // CPU) — e.g. a stop sequence in their text; checked after each block.
  std::function<bool(const torch::Tensor&)> row_done;
  std::vector<int64_t> banned_ids;     // never predicted ([MASK] always is)
  bool use_cache = true;
  bool bf16 = false;                   // autocast bf16 forward passes (CUDA)
};

// prompt: (B, P) int64, P >= 1. Returns (B, P + n), n <= gen_length (less only
// when every row stopped at EOS), the prompt unchanged, no [MASK] left.
// *forwards (optional) receives the model forward passes it ran.
torch::Tensor bd3_generate(Transformer& model, const torch::Tensor& prompt,
                           const Bd3SampleOptions& opts, torch::Generator& gen,
                           int64_t* forwards = nullptr);

// The next token per row from last-position logits (B, V), after temperature,
// top-k and top-p. Exposed for tests.
torch::Tensor sample_from_logits(const torch::Tensor& logits, double temperature, int64_t top_k,
                                 double top_p, torch::Generator& gen);

// LLaDA's add_gumbel_noise: float64 exp(logits) / (−log u)^temperature (argmax
// of it samples softmax(logits / temperature)); temperature 0 returns logits.
torch::Tensor add_gumbel_noise(const torch::Tensor& logits, double temperature,
                               torch::Generator& gen);

// Tokens to commit at each of `steps` steps for each row's `masked` count:
// (B, steps) int64, base = masked / steps, the first masked % steps steps get
// one more (LLaDA's get_num_transfer_tokens).
torch::Tensor num_transfer_tokens(const torch::Tensor& masked_per_row, int64_t steps);

// The sampler factory: one sampling call for a model of any paradigm
// (`crossover sample`, code generation): AR decodes left to right
// (ar_generate), mdm unmasks the whole answer (mdm_generate), bd3 unmasks
// block by block (bd3_generate). BOS, PAD and [MASK] are never sampled; AR and
// bd3 rows stop at EOS.
struct SampleOptions {
  Paradigm paradigm;                         // the model's (objective/paradigm.h)
  int64_t max_new_tokens = 128;              // AR, BD3: at most; MDM: the generation length
  double temperature = 1.0;                  // 0 = greedy (AR) / argmax (MDM, BD3)
  int64_t top_k = 0;                         // AR
  double top_p = 1.0;                        // AR
  bool use_cache = true;                     // AR, BD3
  int64_t steps = 0;                         // MDM, BD3: in total; 0 = max_new_tokens (BD3: per
                                             // block steps · block_size / max_new_tokens, >= 1)
  int64_t block_length = 0;                  // MDM; 0 = max_new_tokens (BD3: the model's block)
  std::string remasking = "low_confidence";  // MDM, BD3
  std::vector<std::string> stop;             // BD3: also stop once every row's text holds one
  bool bf16 = false;                         // autocast bf16 forward passes (CUDA)
};
torch::Tensor generate(Transformer& model, const Tokenizer& tok, const torch::Tensor& prompt,
                       const SampleOptions& opts, torch::Generator& gen);

// A prompt as generation sees it: EOS (a document boundary, as in the packed
// training stream), then the text's tokens.
std::vector<int64_t> prompt_ids(const Tokenizer& tok, const std::string& text);

// The text of generated token ids (1-D), cut at the first EOS, specials dropped.
std::string decode_until_eos(const Tokenizer& tok, const torch::Tensor& row);

}  // namespace crossover
