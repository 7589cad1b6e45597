// mdm_objective.cpp — masking-rate sampling, masks and ELBO weights; the
// validation negative ELBO and the conditional-ELBO log-likelihood estimator.
#include "crossover/objective/mdm_objective.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "crossover/model/output_head.h"
#include "crossover/model/transformer.h"
#include "crossover/util/autocast.h"
#include "crossover/util/check.h"
#include "crossover/util/rng.h"

namespace crossover {
namespace {

// −log p(x0_i | x0 with `mask` replaced by [MASK]) at the M masked positions,
// (M) float64, with each position's row in *row (M). The output head and the
// softmax run there only: (M, C) -> (M, V). x0, mask (R, T) on the model's device.
torch::Tensor masked_nll(TransformerImpl& model, const torch::Tensor& x0, const torch::Tensor& mask,
                         int64_t mask_id, bool bf16, torch::Tensor* row) {
  auto inputs = torch::where(mask, torch::full({}, mask_id, x0.options()), x0);  // (R, T)
  auto idx = torch::nonzero(mask);                                               // (M, 2)
  *row = idx.select(1, 0);
  auto col = idx.select(1, 1);                                                   // (M)
  torch::Tensor logits;
  {
    AutocastScope autocast(bf16);
    auto hidden = transformer_hidden(model, inputs, /*causal=*/false);  // (R, T, C)
    logits = transformer_head(model, hidden.index({*row, col}));        // (M, V)
  }
  return token_nll(logits, x0.index({*row, col}));  // (M)
}

// MDM log-likelihood rows waiting for a forward pass, all of length T.
struct PendingRows {
  int64_t T = -1;
  std::vector<torch::Tensor> x0, mask;  // blocks of (N_q, T): clean tokens int64, mask bool
  std::vector<double> weight;           // per row: L / l_i
  std::vector<size_t> owner;            // per row: its request
  int64_t rows() const { return static_cast<int64_t>(owner.size()); }
};

// One request's N rows: its tokens (right-padded with [MASK] to pad_to) and
// its answer masks placed after the context.
void add_request_rows(const LoglikRequest& req, size_t q, const EstimateOptions& o,
                      int64_t mask_id, PendingRows* p) {
  std::vector<double> w;
  auto answer = mdm_answer_masks(req, o.mc_samples, o.seed, &w);  // (N, L)
  const int64_t N = answer.size(0), L = answer.size(1);
  const int64_t n = static_cast<int64_t>(req.tokens.size());
  const int64_t T = std::max(n, o.pad_to);
  auto x0 = torch::full({T}, mask_id, torch::kInt64);  // (T)
  x0.narrow(0, 0, n).copy_(torch::tensor(req.tokens, torch::kInt64));
  auto mask = torch::zeros({N, T}, torch::kBool);      // (N, T)
  mask.narrow(1, req.n_context, L).copy_(answer);
  p->T = T;
  p->x0.push_back(x0.unsqueeze(0).expand({N, T}));
  p->mask.push_back(mask);
  p->weight.insert(p->weight.end(), w.begin(), w.end());
  p->owner.insert(p->owner.end(), static_cast<size_t>(N), q);
}

// Σ_{masked j} −log p(x_j | x_masked) per row, (R) float64 on the CPU.
torch::Tensor masked_row_nll(TransformerImpl& model, const torch::Tensor& x0,
                             const torch::Tensor& mask, int64_t mask_id, bool bf16,
                             torch::Device device) {
  torch::Tensor row;
  auto nll = masked_nll(model, x0.to(device), mask.to(device), mask_id, bf16, &row);  // (M)
  return torch::zeros({x0.size(0)}, nll.options()).index_add_(0, row, nll).cpu();    // (R)
}

// Runs the pending rows in full passes of max_batch_tokens (all of them when
// `all`, else leaving fewer than one pass pending) and appends each row's
// log-likelihood estimate −(L/l_i)·nll_i to its request's samples.
void run_rows(TransformerImpl& model, const EstimateOptions& o, int64_t mask_id,
              torch::Device device, bool all, PendingRows* p,
              std::vector<std::vector<double>>* est) {
  const int64_t R = p->rows();
  if (R == 0) return;
  const int64_t per_pass = std::max<int64_t>(1, o.max_batch_tokens / p->T);
  const int64_t done = all ? R : R / per_pass * per_pass;
  if (done == 0) return;
  auto x0 = torch::cat(p->x0), mask = torch::cat(p->mask);  // (R, T)
  for (int64_t s = 0; s < done; s += per_pass) {
    const int64_t n = std::min(per_pass, done - s);
    auto nll = masked_row_nll(model, x0.narrow(0, s, n), mask.narrow(0, s, n), mask_id, o.bf16,
                              device);
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

}  // namespace

MdmObjective::MdmObjective(const ObjectiveConfig& cfg, int64_t mask_id)
    : cfg_(cfg), mask_id_(mask_id) {
  CROSSOVER_CHECK(mask_id >= 0, "mdm needs the tokenizer's [MASK] id, got ", mask_id,
                  "; hint: prepare the dataset with a tokenizer that reserves [MASK]");
}

int64_t MdmObjective::step_seq_len(int64_t T, torch::Generator& step_gen) const {
  // Always two draws, so the stream does not depend on the outcome.
  auto u = torch::rand({2}, step_gen, torch::TensorOptions().dtype(torch::kFloat64));  // CPU
  const double* uv = u.data_ptr<double>();  // a CPU generator's draw: no device read
  double u0 = uv[0], u1 = uv[1];
  if (T <= 2 || u0 >= cfg_.short_seq_prob) return T;
  return 2 + std::min(T - 3, static_cast<int64_t>(u1 * static_cast<double>(T - 2)));  // [2, T)
}

torch::Tensor sample_masking_rates(int64_t n, torch::Generator& gen, double lo, double hi,
                                   bool stratified) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(gen.device());
  if (stratified) {
    auto u = torch::rand({1}, gen, opts);
    auto frac = torch::remainder(u + torch::arange(n, opts) / static_cast<double>(n), 1.0);
    return lo + (hi - lo) * frac;                     // [lo, hi), one per stratum
  }
  return hi - (hi - lo) * torch::rand({n}, gen, opts);  // (lo, hi]
}

torch::Tensor MdmObjective::sample_t(int64_t B, torch::Generator& gen) const {
  return sample_masking_rates(B, gen, cfg_.mask_eps, 1.0, cfg_.t_sampling == TSampling::kStratified);
}

ObjectiveBatch MdmObjective::prepare(const torch::Tensor& tokens, int64_t seq_len,
                                     torch::Generator& gen) const {
  CROSSOVER_CHECK(tokens.dim() == 2 && seq_len >= 1 && seq_len <= tokens.size(1),
                  "MDM needs (B, T[+1]) tokens with seq_len <= T, got ", tokens.sizes(),
                  " and seq_len=", seq_len);
  int64_t B = tokens.size(0);
  auto x0 = tokens.slice(1, 0, seq_len);                                       // (B, L)
  auto t = sample_t(B, gen);                                                   // (B)
  auto u = torch::rand({B, seq_len}, gen, torch::TensorOptions().device(gen.device()));
  auto mask = u < t.unsqueeze(1);                                              // (B, L)
  // Always drawn (stream independent of the outcome); used by inv_realised only.
  auto pos = torch::randint(seq_len, {B, 1}, gen, torch::TensorOptions().dtype(torch::kInt64).device(gen.device()));
  if (cfg_.weighting == Weighting::kInvRealised) {
    auto empty = mask.sum(1, true) == 0;                                       // (B, 1)
    auto forced = torch::zeros_like(mask).scatter(1, pos, empty);             // (B, L)
    mask = mask | forced;
  }
  // A CPU-drawn mask (training draws there): its supervised positions are
  // found here, on the host, so nothing reads the device to size the head's gather.
  torch::Tensor supervised;
  if (mask.device().is_cpu()) supervised = torch::nonzero(mask.reshape({-1})).squeeze(1);  // (M)
  const bool nb = tokens.device().is_cuda();
  ObjectiveBatch b = mdm_batch_from_mask(x0, mask.to(tokens.device(), nb), t.to(tokens.device(), nb),
                                         cfg_.weighting, mask_id_);
  if (supervised.defined()) b.supervised = supervised.to(tokens.device(), nb);
  return b;
}

int64_t MdmObjective::validation_samples(int64_t mc_samples) const {
  return std::max<int64_t>(mc_samples, 1);
}

torch::Tensor MdmObjective::validation_loss_sums(TransformerImpl& model, const torch::Tensor& windows,
                                                 int64_t first, const EstimateOptions& o) const {
  const int64_t b = windows.size(0), T = windows.size(1) - 1;
  const int64_t K = validation_samples(o.mc_samples);
  auto targets = windows.narrow(1, 1, T);  // (b, T): x_1..x_T, as AR scores
  torch::Tensor masks, t;                  // (K, b, T) bool, (K, b) float64
  mdm_validation_masks(o.seed, first, b, T, K, cfg_.mask_eps, &masks, &t);
  masks = masks.to(windows.device());
  t = t.to(windows.device());
  auto sums = torch::zeros({K}, torch::kFloat64);
  auto acc = sums.accessor<double, 1>();
  for (int64_t k = 0; k < K; ++k) {  // Σ_rows (1/t) Σ_{masked} −log p(x | x_masked)
    torch::Tensor row;
    auto nll = masked_nll(model, targets, masks[k], mask_id_, o.bf16, &row);  // (M)
    acc[k] = (nll / t[k].index({row})).sum().item<double>();
  }
  return sums;
}

std::vector<std::vector<double>> MdmObjective::loglik_samples(
    TransformerImpl& model, const std::vector<LoglikRequest>& requests, const EstimateOptions& o,
    torch::Device device) const {
  std::vector<std::vector<double>> est(requests.size());
  PendingRows pending;
  for (size_t q = 0; q < requests.size(); ++q) {
    const int64_t T = std::max<int64_t>(static_cast<int64_t>(requests[q].tokens.size()), o.pad_to);
    if (T != pending.T) run_rows(model, o, mask_id_, device, /*all=*/true, &pending, &est);
    add_request_rows(requests[q], q, o, mask_id_, &pending);
    run_rows(model, o, mask_id_, device, /*all=*/false, &pending, &est);
  }
  run_rows(model, o, mask_id_, device, /*all=*/true, &pending, &est);
  return est;
}

ObjectiveBatch mdm_batch_from_mask(const torch::Tensor& x0, const torch::Tensor& mask,
                                   const torch::Tensor& t, Weighting weighting,
                                   int64_t mask_id) {
  CROSSOVER_CHECK(x0.sizes() == mask.sizes() && t.dim() == 1 && t.size(0) == x0.size(0),
                  "mdm batch: x0 ", x0.sizes(), ", mask ", mask.sizes(), ", t ", t.sizes());
  int64_t L = x0.size(1);
  ObjectiveBatch b;
  auto m = mask.to(torch::kBool);
  b.inputs = torch::where(m, torch::full({}, mask_id, x0.options()), x0);  // (B, L)
  b.targets = x0;
  b.causal = false;
  b.layout = AttentionLayout::full();
  b.sparse = true;
  auto mf = m.to(torch::kFloat32);                                         // (B, L)
  if (weighting == Weighting::kInvT) {
    b.weights = mf / t.to(torch::kFloat32).unsqueeze(1);
  } else {
    auto realised = mf.sum(1, true).clamp_min(1.0) / static_cast<double>(L);  // (B, 1)
    b.weights = mf / realised;
  }
  return b;
}

void mdm_validation_masks(uint64_t seed, int64_t first, int64_t b, int64_t T, int64_t K,
                          double eps, torch::Tensor* masks, torch::Tensor* t) {
  *masks = torch::empty({K, b, T}, torch::kBool);
  *t = torch::empty({K, b}, torch::kFloat64);
  for (int64_t j = 0; j < b; ++j) {
    auto gen = make_generator(seed, "val_window", first + j);
    const double u = torch::rand({1}, gen, torch::kFloat64).item<double>();
    auto r = torch::rand({K, T}, gen, torch::kFloat64);  // (K, T)
    auto k = torch::arange(K, torch::kFloat64) / static_cast<double>(K);
    auto tk = eps + (1.0 - eps) * torch::frac(u + k);     // (K)
    t->select(1, j).copy_(tk);
    masks->select(1, j).copy_(r < tk.unsqueeze(1));
  }
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
  auto r = torch::stack(cols, 1);                                            // (N, L)
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

}  // namespace crossover
