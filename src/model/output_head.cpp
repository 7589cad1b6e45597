// output_head.cpp — hidden states and the output head, the two halves of forward().
#include "crossover/model/output_head.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include "crossover/model/activation_checkpoint.h"
#include "crossover/util/check.h"

namespace crossover {

torch::Tensor transformer_hidden(TransformerImpl& model, const torch::Tensor& tokens,
                                 const AttentionLayout& layout, torch::Tensor* aux) {
  CROSSOVER_CHECK(tokens.dim() == 2 && tokens.scalar_type() == torch::kInt64,
                  "model input must be (B, T) int64 tokens, got ", tokens.sizes(), " ",
                  tokens.scalar_type());
  auto x = model.tok_emb(tokens);  // (B, T, C)
  if (model.options.dropout_embed() > 0 && model.is_training()) x = model.emb_dropout(x);
  torch::Tensor a;
  const int64_t every = model.is_training() ? model.options.checkpoint_every() : 0;
  for (size_t i = 0; i < model.blocks->size(); ++i) {
    auto* block = model.blocks[i]->as<BlockImpl>();
    if (every > 0 && static_cast<int64_t>(i) % every == 0) {  // activation_checkpoint.h
      auto [out, block_aux] = checkpoint_block(*block, x, layout);  // (B, T, C), scalar
      x = out;
      if (block->moe) a = a.defined() ? a + block_aux : block_aux;
    } else {
      x = block->forward(x, layout, &a);  // (B, T, C)
    }
  }
  x = model.norm(x);  // (B, T, C)
  if (aux) {
    auto dtype = x.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    *aux = a.defined() ? a : torch::zeros({}, x.options().dtype(dtype));
  }
  return x;
}

torch::Tensor transformer_head(TransformerImpl& model, const torch::Tensor& hidden) {
  auto logits = model.head ? model.head(hidden)
                           : torch::nn::functional::linear(hidden, model.tok_emb->weight);  // (..., V)
  if (logits.scalar_type() == torch::kBFloat16 || logits.scalar_type() == torch::kFloat16)
    logits = logits.to(torch::kFloat32);
  return logits;
}

namespace {

// Σ w·CE of one chunk's logits (n, V) in float32 (float64 kept): the
// unchunked path's arithmetic, so a single chunk is bit-identical to it.
torch::Tensor weighted_ce_sum(const torch::Tensor& logits, const torch::Tensor& targets,
                              const torch::Tensor& weights) {
  auto lf = logits.scalar_type() == torch::kFloat64 ? logits : logits.to(torch::kFloat32);
  auto ce = torch::nn::functional::cross_entropy(
      lf, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));  // (n)
  return (ce * weights.to(ce.scalar_type())).sum();
}

// Inputs already in the matmul dtype (bf16 casts happen outside, where
// autograd sees them); this function runs with autocast off.
struct ChunkedHeadLoss : torch::autograd::Function<ChunkedHeadLoss> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor h,
                               torch::Tensor w, torch::Tensor b, torch::Tensor targets,
                               torch::Tensor weights, int64_t chunk) {
    const int64_t N = h.size(0);
    const bool has_bias = b.numel() > 0;
    torch::Tensor total;
    for (int64_t s = 0; s < N; s += chunk) {
      const int64_t n = std::min(chunk, N - s);
      auto logits = torch::nn::functional::linear(h.narrow(0, s, n), w,
                                                  has_bias ? b : torch::Tensor());  // (n, V)
      auto part = weighted_ce_sum(logits, targets.narrow(0, s, n), weights.narrow(0, s, n));
      total = total.defined() ? total + part : part;
    }
    ctx->save_for_backward({h, w, b, targets, weights});
    ctx->saved_data["chunk"] = chunk;
    return total;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    auto h = saved[0], w = saved[1], b = saved[2], targets = saved[3], weights = saved[4];
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const int64_t N = h.size(0);
    const bool has_bias = b.numel() > 0;
    auto acc = h.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    auto g = grad_out[0].to(acc);  // ()
    auto grad_h = torch::empty_like(h);                   // (N, C)
    auto grad_w = torch::zeros(w.sizes(), w.options().dtype(acc));  // (V, C), accumulated
    torch::Tensor grad_b = has_bias ? torch::zeros(b.sizes(), b.options().dtype(acc)) : torch::Tensor();
    for (int64_t s = 0; s < N; s += chunk) {
      const int64_t n = std::min(chunk, N - s);
      auto hc = h.narrow(0, s, n);                                                 // (n, C)
      auto logits = torch::nn::functional::linear(hc, w, has_bias ? b : torch::Tensor())
                        .to(acc);                                                  // (n, V)
      // d(w·CE)/dlogits = w · (softmax − onehot), times the incoming gradient.
      auto dlogits = torch::softmax(logits, -1);                                   // (n, V)
      auto rows = torch::arange(n, targets.options());
      dlogits.index_put_({rows, targets.narrow(0, s, n)},
                         dlogits.index({rows, targets.narrow(0, s, n)}) - 1.0);
      dlogits.mul_((weights.narrow(0, s, n).to(acc) * g).unsqueeze(1));
      auto dl = dlogits.to(h.scalar_type());                                       // (n, V)
      grad_h.narrow(0, s, n).copy_(dl.matmul(w));                                  // (n, C)
      grad_w.add_(dl.t().matmul(hc));                                              // (V, C)
      if (has_bias) grad_b.add_(dlogits.sum(0));
    }
    return {grad_h, grad_w.to(w.scalar_type()),
            has_bias ? grad_b.to(b.scalar_type()) : torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor chunked_head_loss_sum(TransformerImpl& model, const torch::Tensor& hidden,
                                    const torch::Tensor& targets, const torch::Tensor& weights,
                                    int64_t chunk_rows) {
  CROSSOVER_CHECK(hidden.dim() == 2 && targets.dim() == 1 && weights.dim() == 1 &&
                      hidden.size(0) == targets.size(0) && hidden.size(0) == weights.size(0),
                  "chunked_head_loss_sum: hidden ", hidden.sizes(), ", targets ", targets.sizes(),
                  ", weights ", weights.sizes(), " (hint: (N, C), (N), (N))");
  const int64_t N = hidden.size(0);
  if (chunk_rows <= 0 || chunk_rows >= N)
    return weighted_ce_sum(transformer_head(model, hidden), targets, weights);
  torch::Tensor w = model.head ? model.head->weight : model.tok_emb->weight;  // (V, C)
  torch::Tensor b = model.head && model.head->bias.defined() ? model.head->bias : torch::Tensor();
  torch::Tensor h = hidden;
  // bf16 autocast casts a linear's inputs and weight; do it here, outside the
  // function, so autograd carries the casts' gradients back to fp32.
  const auto dev = hidden.device().type();
  if (at::autocast::is_autocast_enabled(dev)) {
    const auto lp = at::autocast::get_autocast_dtype(dev);
    h = h.to(lp);
    w = w.to(lp);
    if (b.defined()) b = b.to(lp);
  }
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  if (!b.defined()) b = torch::empty({0}, w.options());  // "no bias" travels as an empty tensor
  return ChunkedHeadLoss::apply(h, w, b, targets, weights, chunk_rows);
}

}  // namespace crossover
