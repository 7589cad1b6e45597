// loglik_service.cpp — see loglik_service.h.
#include "crossover/eval/loglik_service.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <istream>
#include <numeric>
#include <ostream>

#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

std::string json_string_field(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) throw UsageError(str_cat("request has no \"", key, "\""));
  if (!j[key].is_string()) throw UsageError(str_cat("request field \"", key, "\" must be a string"));
  return j[key].get<std::string>();
}

// The draw stream of a request without an explicit item: a hash of its text.
int64_t text_item(const std::string& kind, const std::string& text) {
  return static_cast<int64_t>(derive_seed(0, kind + text));
}

// AR: whether argmax under teacher forcing reproduces every continuation token.
// Requests longest first, batched as ArObjective::loglik_samples does.
std::vector<bool> ar_greedy(Transformer& model, const std::vector<LoglikRequest>& reqs,
                            int64_t max_batch_tokens, torch::Device device) {
  torch::NoGradGuard no_grad;
  std::vector<bool> out(reqs.size(), false);
  size_t start = 0;
  while (start < reqs.size()) {
    const int64_t T = static_cast<int64_t>(reqs[start].tokens.size()) - 1;
    const int64_t rows = std::max<int64_t>(1, max_batch_tokens / std::max<int64_t>(T, 1));
    const size_t end = std::min(reqs.size(), start + static_cast<size_t>(rows));
    const int64_t b = static_cast<int64_t>(end - start);
    auto x = torch::zeros({b, T + 1}, torch::kInt64);  // (b, T+1)
    for (int64_t r = 0; r < b; ++r) {
      const auto& t = reqs[start + r].tokens;
      x[r].narrow(0, 0, static_cast<int64_t>(t.size())).copy_(torch::tensor(t, torch::kInt64));
    }
    auto pred = model->forward(x.narrow(1, 0, T).to(device), /*causal=*/true)
                    .logits.argmax(-1).cpu();  // (b, T)
    for (int64_t r = 0; r < b; ++r) {
      const auto& q = reqs[start + r];
      const int64_t L = q.continuation_tokens();
      out[start + r] = pred[r].narrow(0, q.n_context - 1, L).equal(x[r].narrow(0, q.n_context, L));
    }
    start = end;
  }
  return out;
}

}  // namespace

LoglikQuery parse_loglik_query(const nlohmann::json& j) {
  if (!j.is_object()) throw UsageError("a request must be a JSON object");
  LoglikQuery q;
  if (j.contains("id")) q.id = j["id"];
  const std::string type = j.contains("type") ? json_string_field(j, "type") : "loglikelihood";
  if (type == "loglikelihood") {
    q.context = json_string_field(j, "context");
    q.continuation = json_string_field(j, "continuation");
  } else if (type == "loglikelihood_rolling") {
    q.rolling = true;
    q.text = json_string_field(j, "text");
  } else {
    throw UsageError(str_cat("request type '", type,
                             "' is not one of loglikelihood, loglikelihood_rolling"));
  }
  if (j.contains("item")) {
    if (!j["item"].is_number_integer() || j["item"].get<int64_t>() < 0)
      throw UsageError("request field \"item\" must be a non-negative integer");
    q.item = j["item"].get<int64_t>();
  }
  return q;
}

std::vector<LoglikRequest> rolling_windows(const std::vector<int64_t>& tokens, int64_t prefix,
                                           int64_t max_tokens) {
  CROSSOVER_CHECK(max_tokens >= 2, "rolling windows need at least 2 tokens (got ", max_tokens, ")");
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t pred = max_tokens - 1;  // continuation tokens per window
  std::vector<LoglikRequest> out;
  for (int64_t done = 0; done < n;) {
    const int64_t len = std::min(pred, n - done);
    // Context: the prefix for the first window; then the tokens before the
    // window, as many as fit beside it (one for a full window).
    const int64_t first = done == 0 ? done : std::max<int64_t>(0, done + len - max_tokens);
    LoglikRequest r;
    if (done == 0) r.tokens.push_back(prefix);
    r.tokens.insert(r.tokens.end(), tokens.begin() + first, tokens.begin() + done + len);
    r.n_context = done == 0 ? 1 : done - first;
    out.push_back(std::move(r));
    done += len;
  }
  return out;
}

LoglikService::LoglikService(Transformer model, const Tokenizer& tok, LoglikOptions opts,
                             int64_t max_seq_len, torch::Device device)
    : model_(std::move(model)), tok_(tok), opts_(std::move(opts)),
      max_tokens_(loglik_max_tokens(opts_, max_seq_len)), device_(device) {}

void LoglikService::score(const std::vector<LoglikQuery>& queries,
                          std::vector<LoglikAnswer>* answers, std::vector<std::string>* errors) {
  answers->assign(queries.size(), LoglikAnswer{});
  errors->assign(queries.size(), "");
  std::vector<LoglikRequest> reqs;
  std::vector<size_t> owner;  // query of each request
  for (size_t i = 0; i < queries.size(); ++i) {
    const auto& q = queries[i];
    try {
      if (q.rolling) {
        const auto ids = tok_.encode(q.text);
        if (ids.empty()) throw UsageError("loglikelihood_rolling of an empty text");
        auto w = rolling_windows(std::vector<int64_t>(ids.begin(), ids.end()), tok_.eos_id(),
                                 max_tokens_);
        const int64_t base = q.item >= 0 ? q.item : text_item("text:", q.text);
        for (size_t k = 0; k < w.size(); ++k) {
          w[k].item = k == 0 ? base : static_cast<int64_t>(derive_seed(base, "rolling_window", k));
          reqs.push_back(std::move(w[k]));
          owner.push_back(i);
        }
        (*answers)[i].windows = static_cast<int64_t>(w.size());
      } else {
        reqs.push_back(make_loglik_request(tok_, q.context, q.continuation, max_tokens_));
        reqs.back().item = q.item >= 0 ? q.item : text_item("context:", q.context);
        owner.push_back(i);
      }
    } catch (const std::exception& e) {
      (*errors)[i] = e.what();
    }
  }
  // Canonical order: whatever order the queries came in, the same batches.
  std::vector<size_t> order(reqs.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto &x = reqs[a], &y = reqs[b];
    if (x.tokens.size() != y.tokens.size()) return x.tokens.size() > y.tokens.size();
    if (x.tokens != y.tokens) return x.tokens < y.tokens;
    if (x.n_context != y.n_context) return x.n_context < y.n_context;
    return x.item < y.item;
  });
  std::vector<LoglikRequest> sorted;
  for (size_t k : order) sorted.push_back(reqs[k]);
  std::vector<std::vector<double>> samples;
  compute_logliks(model_, sorted, opts_, device_, &samples);
  std::vector<bool> greedy(sorted.size(), false);
  if (opts_.paradigm.is_autoregressive()) {
    const bool was_training = model_->is_training();
    model_->eval();
    greedy = ar_greedy(model_, sorted, opts_.max_batch_tokens, device_);
    if (was_training) model_->train();
  }
  std::vector<double> var(queries.size(), 0.0);
  std::vector<bool> all_greedy(queries.size(), true);
  for (size_t k = 0; k < sorted.size(); ++k) {
    const size_t i = owner[order[k]];
    const auto& s = samples[k];
    const double n = static_cast<double>(s.size());
    double mean = 0, ss = 0;
    for (double v : s) mean += v;
    mean /= n;
    for (double v : s) ss += (v - mean) * (v - mean);
    LoglikAnswer& a = (*answers)[i];
    a.loglik += mean;
    if (s.size() > 1) var[i] += ss / (n - 1) / n;
    a.samples = std::max<int64_t>(a.samples, static_cast<int64_t>(s.size()));
    a.tokens += sorted[k].continuation_tokens();
    all_greedy[i] = all_greedy[i] && greedy[k];
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    (*answers)[i].se = std::sqrt(var[i]);
    (*answers)[i].is_greedy = opts_.paradigm.is_autoregressive() && !queries[i].rolling && all_greedy[i];
  }
}

nlohmann::ordered_json loglik_answer_json(const LoglikQuery& q, const LoglikAnswer& a) {
  nlohmann::ordered_json j;
  j["id"] = q.id;
  j["loglik"] = a.loglik;
  j["se"] = a.se;
  j["samples"] = a.samples;
  j["tokens"] = a.tokens;
  j["is_greedy"] = a.is_greedy;
  if (q.rolling) j["windows"] = a.windows;
  return j;
}

nlohmann::ordered_json loglik_error_json(const nlohmann::json& id, const std::string& error) {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["error"] = error;
  return j;
}

namespace {
std::string dump_line(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

std::vector<RawLoglikRequest> parse_loglik_line(const std::string& line) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const std::exception& e) {
    return {RawLoglikRequest{nullptr, str_cat("malformed JSON: ", e.what())}};
  }
  std::vector<RawLoglikRequest> out;
  if (j.is_array()) {
    for (auto& e : j) out.push_back({e, ""});
  } else {
    out.push_back({j, ""});
  }
  return out;
}

std::vector<std::string> answer_loglik_requests(const std::vector<RawLoglikRequest>& raw,
                                                LoglikService& service, int64_t* failed) {
  std::vector<LoglikQuery> queries;
  std::vector<size_t> slot;  // raw index of each parsed query
  std::vector<std::string> lines(raw.size());
  for (size_t k = 0; k < raw.size(); ++k) {
    std::string error = raw[k].parse_error;
    if (error.empty()) {
      try {
        queries.push_back(parse_loglik_query(raw[k].json));
        slot.push_back(k);
        continue;
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    const auto& j = raw[k].json;
    lines[k] = dump_line(loglik_error_json(j.is_object() && j.contains("id") ? j["id"] : nullptr, error));
    ++*failed;
  }
  std::vector<LoglikAnswer> answers;
  std::vector<std::string> errors;
  try {
    service.score(queries, &answers, &errors);
  } catch (const std::exception& e) {  // the whole batch failed: one error per request
    answers.assign(queries.size(), LoglikAnswer{});
    errors.assign(queries.size(), e.what());
  }
  for (size_t q = 0; q < queries.size(); ++q) {
    if (errors[q].empty()) {
      lines[slot[q]] = dump_line(loglik_answer_json(queries[q], answers[q]));
    } else {
      lines[slot[q]] = dump_line(loglik_error_json(queries[q].id, errors[q]));
      ++*failed;
    }
  }
  return lines;
}

int64_t serve_loglik(std::istream& in, std::ostream& out, LoglikService& service) {
  int64_t failed = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    for (const auto& l : answer_loglik_requests(parse_loglik_line(line), service, &failed))
      out << l << "\n";
    out << std::flush;
  }
  return failed;
}

}  // namespace crossover
