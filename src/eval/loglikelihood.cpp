// loglikelihood.cpp — lm-eval tokenisation and batched conditional
// log-likelihoods through the objective's estimator.
#include "crossover/eval/loglikelihood.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "crossover/util/check.h"

namespace crossover {
namespace {

std::vector<int64_t> to_int64(const std::vector<int32_t>& ids) {
  return std::vector<int64_t>(ids.begin(), ids.end());
}

// Python's str.isspace() code points (3.11: [c for c in range(0x110000) if
// chr(c).isspace()]), the set lm-eval's context.rstrip() removes.
bool python_isspace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace

size_t python_rstrip_length(const std::string& s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;  // the last code point's first byte
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data() + start);
    const size_t n = end - start;
    uint32_t c = p[0];
    if (n == 2 && (p[0] & 0xE0) == 0xC0) c = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    else if (n == 3 && (p[0] & 0xF0) == 0xE0)
      c = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    else if (n != 1) return end;  // 4-byte or malformed: never whitespace
    if (!python_isspace(c)) return end;
    end = start;
  }
  return 0;
}

namespace {

// The estimator of opts (mask_eps plays no part in log-likelihoods).
std::unique_ptr<Objective> loglik_objective(const LoglikOptions& opts) {
  Paradigm p = opts.paradigm;
  p.mask_eps = 0.0;
  return make_eval_objective(p, opts.mask_id);
}

}  // namespace

LoglikRequest make_loglik_request(const Tokenizer& tok, const std::string& context,
                                  const std::string& continuation, int64_t max_tokens) {
  // lm-eval: trailing whitespace of the context (Python's str.rstrip() set,
  // Unicode spaces included) belongs to the continuation.
  const size_t keep = python_rstrip_length(context);
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

int64_t loglik_max_tokens(const LoglikOptions& opts, int64_t max_seq_len) {
  return loglik_objective(opts)->loglik_max_tokens(max_seq_len);
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
  auto objective = loglik_objective(opts);
  EstimateOptions eo;
  eo.mc_samples = opts.mc_samples;
  eo.seed = opts.seed;
  eo.max_batch_tokens = opts.max_batch_tokens;
  eo.pad_to = opts.pad_to;
  eo.bf16 = opts.bf16;
  // Longest first (ties: input order), so batches hold similar lengths.
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return requests[a].tokens.size() > requests[b].tokens.size();
  });
  std::vector<LoglikRequest> sorted;
  sorted.reserve(requests.size());
  for (size_t q : order) sorted.push_back(requests[q]);
  auto sorted_est = objective->loglik_samples(*model, sorted, eo, device);
  std::vector<double> out(requests.size(), 0.0);
  std::vector<std::vector<double>> est(requests.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& e = sorted_est[i];
    double sum = 0;
    for (double v : e) sum += v;
    out[order[i]] = sum / static_cast<double>(std::max<size_t>(e.size(), 1));
    est[order[i]] = std::move(sorted_est[i]);
  }
  if (samples) *samples = std::move(est);
  if (was_training) model->train();
  return out;
}

}  // namespace crossover
