// loglikelihood.cpp — lm-eval tokenisation, exact AR and Monte Carlo MDM
// conditional log-likelihoods, batched.
#include "crossover/eval/loglikelihood.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

torch::Tensor forward_logits(Transformer& model, const torch::Tensor& inputs, bool causal,
                             bool bf16) {
  if (bf16) {
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  }
  auto logits = model->forward(inputs, causal).logits;  // (B, T, V)
  if (bf16) {
    at::autocast::set_autocast_enabled(at::kCUDA, false);
    at::autocast::clear_cache();
  }
  return logits;
}

// float32 for reduced-precision logits; a float64 model (tests) stays float64.
torch::Tensor at_least_float32(const torch::Tensor& t) {
  return t.scalar_type() == torch::kFloat64 ? t : t.to(torch::kFloat32);
}

std::vector<int64_t> to_int64(const std::vector<int32_t>& ids) {
  return std::vector<int64_t>(ids.begin(), ids.end());
}

// Request indices sorted by token count, longest first (ties: input order),
// so batches hold similar lengths.
std::vector<size_t> order_by_length(const std::vector<LoglikRequest>& requests) {
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return requests[a].tokens.size() > requests[b].tokens.size();
  });
  return order;
}

// AR: rows padded on the right (causal attention never looks right), input
// tokens[:-1], target tokens[1:]; continuation targets sit at input positions
// n_context-1 .. n-2.
void ar_logliks(Transformer& model, const std::vector<LoglikRequest>& requests,
                const LoglikOptions& opts, torch::Device device, std::vector<double>* out) {
  auto order = order_by_length(requests);
  size_t start = 0;
  while (start < order.size()) {
    const int64_t T = static_cast<int64_t>(requests[order[start]].tokens.size()) - 1;
    const int64_t rows = std::max<int64_t>(1, opts.max_batch_tokens / std::max<int64_t>(T, 1));
    const size_t end = std::min(order.size(), start + static_cast<size_t>(rows));
    const int64_t b = static_cast<int64_t>(end - start);
    auto x = torch::zeros({b, T + 1}, torch::kInt64);  // (b, T+1), zero padding
    for (int64_t r = 0; r < b; ++r) {
      const auto& t = requests[order[start + r]].tokens;
      x[r].narrow(0, 0, static_cast<int64_t>(t.size()))
          .copy_(torch::tensor(t, torch::kInt64));
    }
    x = x.to(device);
    auto logits = forward_logits(model, x.narrow(1, 0, T), /*causal=*/true, opts.bf16);  // (b, T, V)
    for (int64_t r = 0; r < b; ++r) {
      const auto& req = requests[order[start + r]];
      const int64_t L = req.continuation_tokens();
      auto lg = at_least_float32(logits[r].narrow(0, req.n_context - 1, L));     // (L, V)
      auto tgt = x[r].narrow(0, req.n_context, L);                               // (L)
      auto lp = torch::log_softmax(lg, -1).gather(-1, tgt.unsqueeze(-1));        // (L, 1)
      (*out)[order[start + r]] = lp.to(torch::kFloat64).sum().item<double>();
    }
    start = end;
  }
}

// MDM Monte Carlo rows of one request: masks (N, T) bool and weights L/l_i.
void mdm_request_rows(const LoglikRequest& req, const LoglikOptions& opts,
                      std::vector<torch::Tensor>* masks, std::vector<double>* weights) {
  const int64_t T = static_cast<int64_t>(req.tokens.size()), L = req.continuation_tokens();
  const int64_t N = L == 1 ? 1 : std::max<int64_t>(opts.mc_samples, 1);  // L = 1: exact
  auto gen = make_generator(opts.seed, "task_mc", req.item, req.choice);
  const double u = torch::rand({1}, gen, torch::kFloat64).item<double>();
  for (int64_t i = 0; i < N; ++i) {
    double frac = u + static_cast<double>(i) / static_cast<double>(N);
    frac -= std::floor(frac);
    const int64_t l = std::min<int64_t>(L, 1 + static_cast<int64_t>(std::floor(frac * L)));
    auto pos = torch::randperm(L, gen, torch::kInt64).narrow(0, 0, l) + req.n_context;  // (l)
    auto mask = torch::zeros({T}, torch::kBool);
    mask.index_fill_(0, pos, true);
    masks->push_back(mask);
    weights->push_back(static_cast<double>(L) / static_cast<double>(l));
  }
}

// MDM: rows of requests with equal length share a forward pass; each row's
// weighted masked NLL is added to its request's sum, then divided by N.
void mdm_logliks(Transformer& model, const std::vector<LoglikRequest>& requests,
                 const LoglikOptions& opts, torch::Device device, std::vector<double>* out) {
  CROSSOVER_CHECK(opts.mask_id >= 0, "MDM scoring needs the tokenizer's [MASK] id");
  std::vector<double> nll_sum(requests.size(), 0.0);
  std::vector<int64_t> n_rows(requests.size(), 0);
  std::vector<torch::Tensor> masks;
  std::vector<double> weights;
  std::vector<int64_t> owner;  // request of each pending row
  int64_t T_pending = -1;

  auto flush = [&]() {
    if (masks.empty()) return;
    const int64_t R = static_cast<int64_t>(masks.size());
    auto x0 = torch::empty({R, T_pending}, torch::kInt64);  // (R, T)
    for (int64_t r = 0; r < R; ++r)
      x0[r].copy_(torch::tensor(requests[owner[r]].tokens, torch::kInt64));
    x0 = x0.to(device);
    auto mask = torch::stack(masks).to(device);                                 // (R, T) bool
    auto inputs = torch::where(mask, torch::full_like(x0, opts.mask_id), x0);  // (R, T)
    auto logits = forward_logits(model, inputs, /*causal=*/false, opts.bf16);  // (R, T, V)
    auto idx = torch::nonzero(mask);                                           // (M, 2)
    auto lg = at_least_float32(logits.index({idx.select(1, 0), idx.select(1, 1)}));  // (M, V)
    auto tgt = x0.index({idx.select(1, 0), idx.select(1, 1)});                 // (M)
    auto nll = -torch::log_softmax(lg, -1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1);  // (M)
    auto per_row = torch::zeros({R}, nll.options().dtype(torch::kFloat64))
                       .index_add_(0, idx.select(1, 0), nll.to(torch::kFloat64))
                       .cpu();                                                 // (R)
    auto acc = per_row.accessor<double, 1>();
    for (int64_t r = 0; r < R; ++r) {
      nll_sum[owner[r]] += weights[r] * acc[r];
      n_rows[owner[r]] += 1;
    }
    masks.clear();
    weights.clear();
    owner.clear();
  };

  for (size_t q : order_by_length(requests)) {
    const int64_t T = static_cast<int64_t>(requests[q].tokens.size());
    if (T != T_pending) flush();
    T_pending = T;
    std::vector<torch::Tensor> m;
    std::vector<double> w;
    mdm_request_rows(requests[q], opts, &m, &w);
    for (size_t i = 0; i < m.size(); ++i) {
      masks.push_back(m[i]);
      weights.push_back(w[i]);
      owner.push_back(static_cast<int64_t>(q));
      if (static_cast<int64_t>(masks.size() + 1) * T > opts.max_batch_tokens) flush();
    }
  }
  flush();
  for (size_t q = 0; q < requests.size(); ++q)
    (*out)[q] = -nll_sum[q] / static_cast<double>(std::max<int64_t>(n_rows[q], 1));
}

}  // namespace

LoglikRequest make_loglik_request(const Tokenizer& tok, const std::string& context,
                                  const std::string& continuation, int64_t max_tokens) {
  // lm-eval: trailing whitespace of the context belongs to the continuation.
  size_t keep = context.find_last_not_of(" \t\n\r\f\v");
  keep = keep == std::string::npos ? 0 : keep + 1;
  const std::string ctx = context.substr(0, keep);
  const std::string cont = context.substr(keep) + continuation;
  CROSSOVER_CHECK(!cont.empty(), "empty continuation for context '", context.substr(0, 60), "'");
  LoglikRequest req;
  if (ctx.empty()) {
    // No context: condition on a document boundary (lm-eval uses its EOT token).
    req.tokens = {tok.eos_id()};
    auto c = to_int64(tok.encode(cont));
    req.tokens.insert(req.tokens.end(), c.begin(), c.end());
    req.n_context = 1;
  } else {
    req.tokens = to_int64(tok.encode(ctx + cont));
    req.n_context = static_cast<int64_t>(tok.encode(ctx).size());
    // A merge across the boundary can swallow the continuation; keep one token.
    req.n_context = std::min<int64_t>(req.n_context, static_cast<int64_t>(req.tokens.size()) - 1);
  }
  const int64_t L = req.continuation_tokens();
  CROSSOVER_CHECK(L >= 1 && L < max_tokens, "a continuation of ", L,
                  " tokens does not fit the model's ", max_tokens,
                  " tokens with context; hint: shorter choices or a larger model.max_seq_len");
  const int64_t n = static_cast<int64_t>(req.tokens.size());
  if (n > max_tokens) {  // keep the rightmost tokens (lm-eval truncates the context's left)
    req.tokens.erase(req.tokens.begin(), req.tokens.begin() + (n - max_tokens));
    req.n_context -= n - max_tokens;
  }
  return req;
}

std::vector<double> compute_logliks(Transformer& model, const std::vector<LoglikRequest>& requests,
                                    const LoglikOptions& opts, torch::Device device) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  for (const auto& r : requests)
    CROSSOVER_CHECK(r.n_context >= 1 && r.continuation_tokens() >= 1,
                    "a request needs at least one context and one continuation token (item ",
                    r.item, ", choice ", r.choice, ")");
  std::vector<double> out(requests.size(), 0.0);
  if (opts.diffusion) {
    mdm_logliks(model, requests, opts, device, &out);
  } else {
    ar_logliks(model, requests, opts, device, &out);
  }
  if (was_training) model->train();
  return out;
}

}  // namespace crossover
