// loglik_service.h — one scoring entry point for any list of (context,
// continuation) pairs or texts, for `crossover eval RUN --loglik REQUESTS.jsonl
// --out RESPONSES.jsonl` and the long-lived `crossover eval RUN --serve`
// (requests on stdin, answers on stdout), which the lm-eval backend
// (python/crossover_lm_eval) talks to.
//
// Request, one JSON object per line (or a JSON array of them on one line, a batch):
//   {"id": any, "type": "loglikelihood", "context": str, "continuation": str,
//    "item": int (optional)}
//   {"id": any, "type": "loglikelihood_rolling", "text": str, "item": int (optional)}
// Answer, one line per request, in request order:
//   {"id": .., "loglik": x, "se": s, "samples": n, "tokens": L, "is_greedy": b}
//   (+ "windows": w for rolling), or {"id": .., "error": "one line"} for a
//   request that cannot be scored; the next request is served as usual.
//
// loglik: loglikelihood.h's estimate (lm-eval tokenisation: trailing
// whitespace of the context moves to the continuation, an empty context is one
// EOS). AR exact (se 0, samples 1); MDM the Monte Carlo conditional ELBO with
// eval.task_mc_samples samples, se the standard error of their mean (the
// per-sample spread, which ignores the stratification: errs high); a one-token
// continuation is exact for MDM too.
// item: the Monte Carlo draw stream (mdm_answer_masks). Requests with the same
// item share their draws, as the choices of one task item do in `crossover
// eval --tasks` (item = its index in the task file, so passing lm-eval's
// doc_id reproduces those numbers); absent, the item is a hash of the context,
// so the choices of one question still share draws and a request's numbers do
// not depend on which other requests came with it.
// is_greedy (lm-eval's): AR, whether argmax decoding under teacher forcing
// reproduces every continuation token; MDM, always false — a masked-diffusion
// model has no left-to-right greedy decode to compare with (score such
// metrics through generate_until instead).
// Rolling (perplexity tasks): lm-eval's disjoint windows over EOS + text
// (get_rolling_token_windows with context_len 1 + make_disjoint_window): the
// first conditioned on EOS, each full one on the one token before it, the last
// (short) one on as many earlier tokens as fit beside it: AR the exact log-likelihood (identical to lm-eval's hf
// backend), MDM the negative ELBO summed over windows of max_seq_len − 1
// continuation tokens (se combines the windows' standard errors).
// Deterministic: the requests of one call are scored in a canonical order
// (longest first, then by tokens), so the same request file gives the same
// numbers whatever its line order or batching.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "crossover/data/tokenizer.h"
#include "crossover/eval/loglikelihood.h"
#include "crossover/model/transformer.h"

namespace crossover {

struct LoglikQuery {
  nlohmann::json id;                 // echoed back (null when absent)
  bool rolling = false;              // loglikelihood_rolling
  std::string context, continuation; // loglikelihood
  std::string text;                  // rolling
  int64_t item = -1;                 // draw stream; -1 = derived from the context / text
};

struct LoglikAnswer {
  double loglik = 0;   // nats, summed over the scored tokens
  double se = 0;       // Monte Carlo standard error (0: exact)
  int64_t samples = 1; // Monte Carlo samples per request (1: exact)
  int64_t tokens = 0;  // tokens scored
  int64_t windows = 1; // rolling: windows scored
  bool is_greedy = false;
};

// One request from JSON; throws UsageError naming the field on bad input.
LoglikQuery parse_loglik_query(const nlohmann::json& j);

// lm-eval's rolling windows (above): (context, continuation) token lists.
// max_tokens: the most tokens of one window (loglik_max_tokens).
std::vector<LoglikRequest> rolling_windows(const std::vector<int64_t>& tokens, int64_t prefix,
                                           int64_t max_tokens);

class LoglikService {
 public:
  LoglikService(Transformer model, const Tokenizer& tok, LoglikOptions opts, int64_t max_seq_len,
                torch::Device device);
  // Scores the queries; bad ones (too long a continuation…) get an error.
  // answers[i] is valid when errors[i] is empty.
  void score(const std::vector<LoglikQuery>& queries, std::vector<LoglikAnswer>* answers,
             std::vector<std::string>* errors);

 private:
  Transformer model_;
  const Tokenizer& tok_;
  LoglikOptions opts_;
  int64_t max_tokens_;
  torch::Device device_;
};

nlohmann::ordered_json loglik_answer_json(const LoglikQuery& q, const LoglikAnswer& a);
nlohmann::ordered_json loglik_error_json(const nlohmann::json& id, const std::string& error);

// One request as read: its JSON, or why it could not be read.
struct RawLoglikRequest {
  nlohmann::json json;
  std::string parse_error;  // "" = json holds the request
};

// A line: one request object or an array of them (a malformed line: one error).
std::vector<RawLoglikRequest> parse_loglik_line(const std::string& line);

// Scores the readable requests together and returns one answer or error line
// per request, in order; *failed counts the error lines.
std::vector<std::string> answer_loglik_requests(const std::vector<RawLoglikRequest>& raw,
                                                LoglikService& service, int64_t* failed);

// Answers every line of `in` (an object or an array of objects) with one line
// per request on `out`, flushed after each input line. Returns the requests
// that got an error line.
int64_t serve_loglik(std::istream& in, std::ostream& out, LoglikService& service);

}  // namespace crossover
