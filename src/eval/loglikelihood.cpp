// loglikelihood.cpp — lm-eval tokenisation, exact AR and Monte Carlo MDM
// conditional log-likelihoods, batched.
#include "crossover/eval/loglikelihood.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "crossover/model/output_head.h"
#include "crossover/util/autocast.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

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
    torch::Tensor logits;
    {
      AutocastScope autocast(opts.bf16);
      logits = model->forward(x.narrow(1, 0, T), /*causal=*/true).logits;  // (b, T, V)
    }
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

// MDM rows waiting for a forward pass, all of length T.
struct PendingRows {
  int64_t T = -1;
  std::vector<torch::Tensor> x0, mask;  // blocks of (N_q, T): clean tokens int64, mask bool
  std::vector<double> weight;           // per row: L / l_i
  std::vector<size_t> owner;            // per row: its request
  int64_t rows() const { return static_cast<int64_t>(owner.size()); }
};

// One request's N rows: its tokens (right-padded with [MASK] to pad_to) and
// its answer masks placed after the context.
void add_request_rows(const LoglikRequest& req, size_t q, const LoglikOptions& opts,
                      PendingRows* p) {
  std::vector<double> w;
  auto answer = mdm_answer_masks(req, opts.mc_samples, opts.seed, &w);  // (N, L)
  const int64_t N = answer.size(0), L = answer.size(1);
  const int64_t n = static_cast<int64_t>(req.tokens.size());
  const int64_t T = std::max(n, opts.pad_to);
  auto x0 = torch::full({T}, opts.mask_id, torch::kInt64);  // (T)
  x0.narrow(0, 0, n).copy_(torch::tensor(req.tokens, torch::kInt64));
  auto mask = torch::zeros({N, T}, torch::kBool);           // (N, T)
  mask.narrow(1, req.n_context, L).copy_(answer);
  p->T = T;
  p->x0.push_back(x0.unsqueeze(0).expand({N, T}));
  p->mask.push_back(mask);
  p->weight.insert(p->weight.end(), w.begin(), w.end());
  p->owner.insert(p->owner.end(), static_cast<size_t>(N), q);
}

// Σ_{masked j} −log p(x_j | x_masked) per row, (R) float64 on the CPU. The
// head and softmax run on the M masked positions only: (M, C) -> (M, V).
torch::Tensor masked_row_nll(Transformer& model, const torch::Tensor& x0, const torch::Tensor& mask,
                             const LoglikOptions& opts, torch::Device device) {
  auto x = x0.to(device);                                                      // (R, T)
  auto m = mask.to(device);                                                    // (R, T) bool
  auto inputs = torch::where(m, torch::full({}, opts.mask_id, x.options()), x);  // (R, T)
  auto idx = torch::nonzero(m);                                                // (M, 2)
  auto row = idx.select(1, 0), col = idx.select(1, 1);                         // (M)
  torch::Tensor logits;
  {
    AutocastScope autocast(opts.bf16);
    auto hidden = transformer_hidden(*model, inputs, /*causal=*/false);  // (R, T, C)
    logits = transformer_head(*model, hidden.index({row, col}));          // (M, V)
  }
  auto lp = torch::log_softmax(at_least_float32(logits), -1);               // (M, V)
  auto nll = -lp.gather(-1, x.index({row, col}).unsqueeze(-1)).squeeze(-1);  // (M)
  return torch::zeros({x.size(0)}, nll.options().dtype(torch::kFloat64))
      .index_add_(0, row, nll.to(torch::kFloat64))
      .cpu();  // (R)
}

// Runs the pending rows in full passes of max_batch_tokens (all of them when
// `all`, else leaving fewer than one pass pending) and appends each row's
// log-likelihood estimate −(L/l_i)·nll_i to its request's samples.
void run_rows(Transformer& model, const LoglikOptions& opts, torch::Device device, bool all,
              PendingRows* p, std::vector<std::vector<double>>* est) {
  const int64_t R = p->rows();
  if (R == 0) return;
  const int64_t per_pass = std::max<int64_t>(1, opts.max_batch_tokens / p->T);
  const int64_t done = all ? R : R / per_pass * per_pass;
  if (done == 0) return;
  auto x0 = torch::cat(p->x0), mask = torch::cat(p->mask);  // (R, T)
  for (int64_t s = 0; s < done; s += per_pass) {
    const int64_t n = std::min(per_pass, done - s);
    auto nll = masked_row_nll(model, x0.narrow(0, s, n), mask.narrow(0, s, n), opts, device);
    auto acc = nll.accessor<double, 1>();
    for (int64_t i = 0; i < n; ++i) (*est)[p->owner[s + i]].push_back(-p->weight[s + i] * acc[i]);
  }
  PendingRows rest;
  if (done < R) {
    rest.T = p->T;
    rest.x0 = {x0.narrow(0, done, R - done)};
    rest.mask = {mask.narrow(0, done, R - done)};
    rest.weight.assign(p->weight.begin() + done, p->weight.end());
    rest.owner.assign(p->owner.begin() + done, p->owner.end());
  }
  *p = std::move(rest);
}

// MDM: rows of all requests with equal length (every request, with pad_to)
// share forward passes, so a pass holds the samples of several choices and
// items; a request's estimate is the mean of its per-sample values.
void mdm_logliks(Transformer& model, const std::vector<LoglikRequest>& requests,
                 const LoglikOptions& opts, torch::Device device, std::vector<double>* out,
                 std::vector<std::vector<double>>* est) {
  CROSSOVER_CHECK(opts.mask_id >= 0, "MDM scoring needs the tokenizer's [MASK] id");
  PendingRows pending;
  for (size_t q : order_by_length(requests)) {
    const int64_t T = std::max<int64_t>(static_cast<int64_t>(requests[q].tokens.size()), opts.pad_to);
    if (T != pending.T) run_rows(model, opts, device, /*all=*/true, &pending, est);
    add_request_rows(requests[q], q, opts, &pending);
    run_rows(model, opts, device, /*all=*/false, &pending, est);
  }
  run_rows(model, opts, device, /*all=*/true, &pending, est);
  for (size_t q = 0; q < requests.size(); ++q) {
    const auto& e = (*est)[q];
    double sum = 0;
    for (double v : e) sum += v;
    (*out)[q] = sum / static_cast<double>(std::max<size_t>(e.size(), 1));
  }
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

torch::Tensor mdm_answer_masks(const LoglikRequest& req, int64_t mc_samples, uint64_t seed,
                               std::vector<double>* weights) {
  const int64_t L = req.continuation_tokens();
  CROSSOVER_CHECK(L >= 1, "request of item ", req.item, " has no continuation token");
  weights->clear();
  if (L == 1) {  // exact: the one answer token masked
    weights->push_back(1.0);
    return torch::ones({1, 1}, torch::kBool);
  }
  const int64_t N = std::max<int64_t>(mc_samples, 1);
  auto ugen = make_generator(seed, "task_mc_offset", req.item);
  const double u = torch::rand({1}, ugen, torch::kFloat64).item<double>();
  // r[:, j] from the generator of (item, position j): (N, L).
  std::vector<torch::Tensor> cols;
  for (int64_t j = 0; j < L; ++j) {
    auto g = make_generator(seed, "task_mc_position", req.item, j);
    cols.push_back(torch::rand({N}, g, torch::kFloat64));
  }
  auto r = torch::stack(cols, 1);                       // (N, L)
  auto rank = r.argsort(/*stable=*/false, 1).argsort(/*stable=*/false, 1);  // (N, L): 0 = smallest
  std::vector<int64_t> counts(N);
  for (int64_t i = 0; i < N; ++i) {
    double frac = u + static_cast<double>(i) / static_cast<double>(N);
    frac -= std::floor(frac);
    counts[i] = std::min<int64_t>(L, 1 + static_cast<int64_t>(std::floor(frac * L)));
    weights->push_back(static_cast<double>(L) / static_cast<double>(counts[i]));
  }
  auto l = torch::tensor(counts, torch::kInt64).unsqueeze(1);  // (N, 1)
  return rank < l;                                             // (N, L) bool
}

std::vector<double> compute_logliks(Transformer& model, const std::vector<LoglikRequest>& requests,
                                    const LoglikOptions& opts, torch::Device device,
                                    std::vector<std::vector<double>>* samples) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  for (const auto& r : requests)
    CROSSOVER_CHECK(r.n_context >= 1 && r.continuation_tokens() >= 1,
                    "a request needs at least one context and one continuation token (item ",
                    r.item, ", choice ", r.choice, ")");
  std::vector<double> out(requests.size(), 0.0);
  std::vector<std::vector<double>> est(requests.size());
  if (opts.diffusion) {
    mdm_logliks(model, requests, opts, device, &out, &est);
  } else {
    ar_logliks(model, requests, opts, device, &out);
    for (size_t q = 0; q < requests.size(); ++q) est[q] = {out[q]};
  }
  if (samples) *samples = std::move(est);
  if (was_training) model->train();
  return out;
}

}  // namespace crossover
