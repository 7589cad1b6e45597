// generate.cpp — AR sampling with a KV cache, MDM iterative unmasking, BD3 block-by-block
// unmasking with a KV cache of the final blocks, and the factory that picks one.
#include "crossover/eval/generate.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>

#include "crossover/util/autocast.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

void ban(torch::Tensor& logits, const std::vector<int64_t>& ids) {
  const int64_t V = logits.size(-1);
  for (int64_t id : ids)
    if (id >= 0 && id < V) logits.select(-1, id).fill_(kNegInf);
}

// One denoising step of a block (LLaDA's): predict every position of `block`
// (B, L) from its logits (B, L, V) (Gumbel-max in float64), then commit, in
// each row r, the k_per_step[r][s] most confident of its masked positions.
// random_width > 0: remasking "random" — the confidences are uniforms drawn for
// random_width positions of which the block's are [b0, b0 + L) (LLaDA draws
// them for the whole row); 0: low_confidence (the predicted token's
// probability). block is written in place.
void unmask_step(const torch::Tensor& block_logits, torch::Tensor& block,
                 const torch::Tensor& masked, const torch::Tensor& k_per_step, int64_t s,
                 const std::vector<int64_t>& banned, double temperature, int64_t random_width,
                 int64_t b0, torch::Generator& gen) {
  const int64_t B = block.size(0), L = block.size(1);
  auto logits = block_logits.to(torch::kFloat64, /*non_blocking=*/false, /*copy=*/true);  // (B, L, V)
  ban(logits, banned);
  auto x0 = add_gumbel_noise(logits, temperature, gen).argmax(-1);  // (B, L)
  torch::Tensor conf;                                               // (B, L) float64
  if (random_width == 0) {
    conf = logits.softmax(-1).gather(-1, x0.unsqueeze(-1)).squeeze(-1);
  } else {
    conf = torch::rand({B, random_width}, gen,
                       torch::TensorOptions().dtype(torch::kFloat64).device(block.device()))
               .narrow(1, b0, L);
  }
  x0 = torch::where(masked, x0, block);
  conf = torch::where(masked, conf, torch::full_like(conf, kNegInf));
  for (int64_t r = 0; r < B; ++r) {
    const int64_t k = k_per_step[r][s].item<int64_t>();
    if (k == 0) continue;
    auto idx = std::get<1>(conf[r].topk(k));                        // (k) positions in the block
    block[r].index_copy_(0, idx, x0[r].index_select(0, idx));
  }
}

// Whether every row of the new tokens (B, n) has ended: EOS, or row_done.
bool rows_done(const torch::Tensor& new_tokens, const Bd3SampleOptions& o) {
  if (o.eos_id < 0 && !o.row_done) return false;
  auto eos = o.eos_id >= 0 ? (new_tokens == o.eos_id).any(1).cpu()
                           : torch::zeros({new_tokens.size(0)}, torch::kBool);  // (B)
  auto rows = new_tokens.cpu();
  for (int64_t r = 0; r < rows.size(0); ++r)
    if (!eos[r].item<bool>() && !(o.row_done && o.row_done(rows[r]))) return false;
  return true;
}

}  // namespace

torch::Tensor sample_from_logits(const torch::Tensor& logits_in, double temperature, int64_t top_k,
                                 double top_p, torch::Generator& gen) {
  auto logits = logits_in.to(torch::kFloat32);  // (B, V)
  if (temperature <= 0) return logits.argmax(-1);
  logits = logits / temperature;
  const int64_t V = logits.size(-1);
  if (top_k > 0 && top_k < V) {
    auto kth = std::get<0>(logits.topk(top_k, -1)).select(-1, top_k - 1).unsqueeze(-1);  // (B, 1)
    logits = logits.masked_fill(logits < kth, kNegInf);
  }
  if (top_p < 1.0) {
    auto [sorted, idx] = logits.sort(-1, /*descending=*/true);   // (B, V)
    auto cum = sorted.softmax(-1).cumsum(-1);                     // (B, V)
    // Drop a token when the tokens before it already reach top_p (the first stays).
    auto drop = (cum - sorted.softmax(-1)) >= top_p;              // (B, V)
    sorted = sorted.masked_fill(drop, kNegInf);
    logits = torch::full_like(logits, kNegInf).scatter(-1, idx, sorted);
  }
  auto probs = logits.softmax(-1);                                // (B, V)
  return torch::multinomial(probs, 1, /*replacement=*/false, gen).squeeze(-1);  // (B)
}

torch::Tensor ar_generate(Transformer& model, const torch::Tensor& prompt,
                          const ArSampleOptions& opts, torch::Generator& gen) {
  CROSSOVER_CHECK(prompt.dim() == 2 && prompt.size(1) >= 1, "prompt must be (B, P>=1), got ",
                  prompt.sizes(), "; hint: an empty prompt is one EOS token");
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const int64_t B = prompt.size(0), max_len = model->options.max_seq_len();
  CROSSOVER_CHECK(prompt.size(1) < max_len, "prompt of ", prompt.size(1),
                  " tokens leaves no room in model.max_seq_len=", max_len);
  const int64_t n_new = std::min(opts.max_new_tokens, max_len - prompt.size(1));
  auto x = prompt.to(torch::kInt64);                              // (B, P)
  auto done = torch::zeros({B}, torch::TensorOptions().dtype(torch::kBool).device(x.device()));
  KVCache cache;
  torch::Tensor logits;                                           // (B, V) of the last position
  for (int64_t s = 0; s < n_new; ++s) {
    {
      AutocastScope autocast(opts.bf16);  // as training computes (bf16 on CUDA)
      if (opts.use_cache) {
        auto feed = s == 0 ? x : x.narrow(1, x.size(1) - 1, 1);   // prefill, then one token
        logits = model->forward_cached(feed, &cache).select(1, feed.size(1) - 1);
      } else {
        logits = model->forward(x, /*causal=*/true).logits.select(1, x.size(1) - 1);
      }
    }
    logits = logits.to(torch::kFloat32).clone();
    ban(logits, opts.banned_ids);
    auto next = sample_from_logits(logits, opts.temperature, opts.top_k, opts.top_p, gen);  // (B)
    if (opts.eos_id >= 0) {
      next = torch::where(done, torch::full_like(next, opts.eos_id), next);
      done = done | (next == opts.eos_id);
    }
    x = torch::cat({x, next.unsqueeze(1)}, 1);                    // (B, P + s + 1)
    if (opts.eos_id >= 0 && done.all().item<bool>()) break;
  }
  if (was_training) model->train();
  return x;
}

torch::Tensor add_gumbel_noise(const torch::Tensor& logits, double temperature,
                               torch::Generator& gen) {
  if (temperature == 0) return logits;
  auto l = logits.to(torch::kFloat64);
  auto u = torch::rand(l.sizes(), gen, l.options());
  auto gumbel = (-torch::log(u)).pow(temperature);
  return l.exp() / gumbel;
}

torch::Tensor num_transfer_tokens(const torch::Tensor& masked_per_row, int64_t steps) {
  auto m = masked_per_row.to(torch::kInt64).cpu();               // (B)
  auto base = m.div(steps, "floor").unsqueeze(1);                 // (B, 1)
  auto rem = m.remainder(steps).unsqueeze(1);                     // (B, 1)
  auto out = base.expand({m.size(0), steps}).clone();             // (B, steps)
  auto idx = torch::arange(steps, torch::kInt64).unsqueeze(0);    // (1, steps)
  return out + (idx < rem).to(torch::kInt64);
}

torch::Tensor mdm_generate(Transformer& model, const torch::Tensor& prompt,
                           const MdmSampleOptions& o, torch::Generator& gen) {
  CROSSOVER_CHECK(o.mask_id >= 0, "MDM sampling needs the [MASK] id");
  CROSSOVER_CHECK(o.gen_length > 0 && o.block_length > 0 && o.gen_length % o.block_length == 0,
                  "--gen-length ", o.gen_length, " must be a multiple of --block-length ",
                  o.block_length);
  const int64_t n_blocks = o.gen_length / o.block_length;
  CROSSOVER_CHECK(o.steps >= n_blocks && o.steps % n_blocks == 0, "--steps ", o.steps,
                  " must be a multiple of the number of blocks ", n_blocks,
                  " (gen_length / block_length)");
  CROSSOVER_CHECK(o.remasking == "low_confidence" || o.remasking == "random",
                  "remasking must be low_confidence | random, got '", o.remasking, "'");
  const int64_t B = prompt.size(0), P = prompt.size(1), T = P + o.gen_length;
  CROSSOVER_CHECK(T <= model->options.max_seq_len(), "prompt ", P, " + gen_length ", o.gen_length,
                  " exceeds model.max_seq_len=", model->options.max_seq_len());
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  auto dev = prompt.device();
  CROSSOVER_CHECK((prompt == o.mask_id).sum().item<int64_t>() == 0,
                  "the prompt holds [MASK] tokens (id ", o.mask_id, "); only the answer region "
                  "is unmasked");
  auto x = torch::full({B, T}, o.mask_id, torch::TensorOptions().dtype(torch::kInt64).device(dev));
  x.narrow(1, 0, P).copy_(prompt);                                // (B, T)
  std::vector<int64_t> banned = o.banned_ids;
  banned.push_back(o.mask_id);
  const int64_t steps_per_block = o.steps / n_blocks, L = o.block_length;
  for (int64_t blk = 0; blk < n_blocks; ++blk) {
    const int64_t b0 = P + blk * L;
    auto block = x.narrow(1, b0, L);                              // (B, L) view of x
    auto k_per_step = num_transfer_tokens((block == o.mask_id).sum(1), steps_per_block);  // (B, steps) CPU
    for (int64_t s = 0; s < steps_per_block; ++s) {
      // Only the current block's positions can be committed (earlier blocks
      // and the prompt hold no [MASK], later ones wait), so only their logits
      // go to float64: (B, L, V), not (B, T, V).
      auto masked = block == o.mask_id;                           // (B, L)
      torch::Tensor out;                                          // (B, T, V)
      {
        AutocastScope autocast(o.bf16);  // as training computes (bf16 on CUDA)
        out = model->forward(x, /*causal=*/false).logits;
      }
      unmask_step(out.narrow(1, b0, L), block, masked, k_per_step, s, banned, o.temperature,
                  o.remasking == "random" ? T : 0, b0, gen);
    }
  }
  if (was_training) model->train();
  return x;
}

torch::Tensor bd3_generate(Transformer& model, const torch::Tensor& prompt,
                           const Bd3SampleOptions& o, torch::Generator& gen, int64_t* forwards) {
  CROSSOVER_CHECK(o.mask_id >= 0, "BD3 sampling needs the [MASK] id");
  CROSSOVER_CHECK(prompt.dim() == 2 && prompt.size(1) >= 1, "prompt must be (B, P>=1), got ",
                  prompt.sizes(), "; hint: an empty prompt is one EOS token");
  const int64_t b = o.block_size;
  CROSSOVER_CHECK(b >= 1, "BD3 sampling needs the model's block size >= 1, got ", b);
  const int64_t steps = o.steps_per_block > 0 ? o.steps_per_block : b;
  CROSSOVER_CHECK(steps <= b, "--steps gives ", steps, " denoising steps per block but a block has ",
                  b, " tokens; hint: at most one step per token");
  CROSSOVER_CHECK(o.remasking == "low_confidence" || o.remasking == "random",
                  "remasking must be low_confidence | random, got '", o.remasking, "'");
  CROSSOVER_CHECK(o.gen_length >= 1, "BD3 sampling needs gen_length >= 1");
  const int64_t B = prompt.size(0), P = prompt.size(1), T = P + o.gen_length;
  CROSSOVER_CHECK(T <= model->options.max_seq_len(), "prompt ", P, " + gen_length ", o.gen_length,
                  " exceeds model.max_seq_len=", model->options.max_seq_len());
  CROSSOVER_CHECK((prompt == o.mask_id).sum().item<int64_t>() == 0,
                  "the prompt holds [MASK] tokens (id ", o.mask_id, "); only the answer region "
                  "is unmasked");
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  auto dev = prompt.device();
  auto x = torch::full({B, T}, o.mask_id, torch::TensorOptions().dtype(torch::kInt64).device(dev));
  x.narrow(1, 0, P).copy_(prompt);                                // (B, T)
  std::vector<int64_t> banned = o.banned_ids;
  banned.push_back(o.mask_id);
  int64_t n_forward = 0;
  KVCache cache;
  const CacheStep score{/*causal=*/false, /*append=*/false};
  const CacheStep commit{/*causal=*/false, /*append=*/true};
  // The final blocks of the prompt join the cache one block at a time (each
  // sees the blocks before it and itself: block-causal).
  const int64_t first = P / b;                                    // the block holding position P
  if (o.use_cache) {
    for (int64_t k = 0; k < first; ++k, ++n_forward) {
      AutocastScope autocast(o.bf16);
      model->forward_cached(x.narrow(1, k * b, b), &cache, commit);
    }
  }
  int64_t end = T;
  for (int64_t k = first; k * b < T; ++k) {
    const int64_t b0 = k * b, L = std::min(b, T - b0);
    auto block = x.narrow(1, b0, L);                              // (B, L) view of x
    const int64_t n_steps = std::min(steps, L);
    auto k_per_step = num_transfer_tokens((block == o.mask_id).sum(1), n_steps);  // (B, n_steps) CPU
    for (int64_t s = 0; s < n_steps; ++s, ++n_forward) {
      auto masked = block == o.mask_id;                           // (B, L)
      torch::Tensor logits;                                       // (B, L, V)
      {
        AutocastScope autocast(o.bf16);  // as training computes (bf16 on CUDA)
        logits = o.use_cache
                     ? model->forward_cached(block, &cache, score)
                     : model->forward(x.narrow(1, 0, b0 + L), AttentionLayout::block_causal(b))
                           .logits.narrow(1, b0, L);
      }
      unmask_step(logits, block, masked, k_per_step, s, banned, o.temperature,
                  o.remasking == "random" ? L : 0, 0, gen);
    }
    if (b0 + L < T && rows_done(x.narrow(1, P, b0 + L - P), o)) {
      end = b0 + L;  // every row has ended: later blocks would be padding
      break;
    }
    if (o.use_cache && b0 + L < T) {
      AutocastScope autocast(o.bf16);
      model->forward_cached(block, &cache, commit);               // the block is final
      ++n_forward;
    }
  }
  if (was_training) model->train();
  if (forwards) *forwards = n_forward;
  return x.narrow(1, 0, end).clone();
}

torch::Tensor generate(Transformer& model, const Tokenizer& tok, const torch::Tensor& prompt,
                       const SampleOptions& o, torch::Generator& gen) {
  const std::vector<int64_t> banned = {tok.bos_id(), tok.pad_id(), tok.mask_id()};
  if (o.paradigm.kind == ParadigmKind::block_diffusion) {
    Bd3SampleOptions d;
    d.gen_length = o.max_new_tokens;
    d.block_size = o.paradigm.block_size;
    const int64_t total = o.steps > 0 ? o.steps : o.max_new_tokens;
    d.steps_per_block = std::clamp<int64_t>(
        (total * d.block_size + o.max_new_tokens - 1) / o.max_new_tokens, 1, d.block_size);
    d.temperature = o.temperature;
    d.remasking = o.remasking;
    d.mask_id = tok.mask_id();
    d.eos_id = tok.eos_id();
    if (!o.stop.empty())
      d.row_done = [&tok, &o](const torch::Tensor& row) {
        const std::string text = decode_until_eos(tok, row);
        for (const auto& s : o.stop)
          if (!s.empty() && text.find(s) != std::string::npos) return true;
        return false;
      };
    d.banned_ids = banned;
    d.use_cache = o.use_cache;
    d.bf16 = o.bf16;
    return bd3_generate(model, prompt, d, gen);
  }
  if (o.paradigm.kind == ParadigmKind::masked_diffusion) {
    MdmSampleOptions m;
    m.gen_length = o.max_new_tokens;
    m.steps = o.steps > 0 ? o.steps : o.max_new_tokens;
    m.block_length = o.block_length > 0 ? o.block_length : o.max_new_tokens;
    m.temperature = o.temperature;
    m.remasking = o.remasking;
    m.mask_id = tok.mask_id();
    m.banned_ids = banned;
    m.bf16 = o.bf16;
    return mdm_generate(model, prompt, m, gen);
  }
  ArSampleOptions a;
  a.max_new_tokens = o.max_new_tokens;
  a.temperature = o.temperature;
  a.top_k = o.top_k;
  a.top_p = o.top_p;
  a.eos_id = tok.eos_id();
  a.banned_ids = banned;
  a.use_cache = o.use_cache;
  a.bf16 = o.bf16;
  return ar_generate(model, prompt, a, gen);
}

std::vector<int64_t> prompt_ids(const Tokenizer& tok, const std::string& text) {
  std::vector<int32_t> ids = tok.encode(text);
  std::vector<int64_t> out;
  out.reserve(ids.size() + 1);
  out.push_back(tok.eos_id());
  out.insert(out.end(), ids.begin(), ids.end());
  return out;
}

std::string decode_until_eos(const Tokenizer& tok, const torch::Tensor& row) {
  auto ids = row.to(torch::kInt32).cpu().contiguous();
  std::vector<int32_t> v(ids.data_ptr<int32_t>(), ids.data_ptr<int32_t>() + ids.numel());
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] == tok.eos_id()) {
      v.resize(i);
      break;
    }
  return tok.decode(v, /*skip_special=*/true);
}

}  // namespace crossover
