// validation.cpp — the fixed validation windows shared by AR and masked diffusion (validation.h).
#include "crossover/data/validation.h"

#include <torch/torch.h>

#include <numeric>

#include "crossover/data/packed_stream.h"
#include "crossover/util/check.h"
#include "crossover/util/log.h"

namespace crossover {

std::vector<torch::Tensor> validation_batches(const PreparedDataset& data, int64_t seq_len,
                                              int64_t val_tokens, int64_t batch_size, int rank,
                                              int world, bool spread) {
  if (!data.val)
    throw Error(str_cat("dataset '", data.meta_path, "' has no validation split; hint: prepare "
                        "with --val-fraction > 0 or set data.val_path"));
  CROSSOVER_CHECK(seq_len >= 1 && batch_size >= 1 && world >= 1 && rank >= 0 && rank < world,
                  "bad validation arguments seq_len=", seq_len, " batch_size=", batch_size);
  std::vector<int64_t> docs(data.val->num_documents());
  std::iota(docs.begin(), docs.end(), 0);
  PackedStream stream(data.val, std::move(docs), data.meta.eos_id);
  const int64_t available = (stream.length() - 1) / seq_len;
  if (available < 1)
    throw Error(str_cat("validation split '", data.val->path(), "' has ", stream.length(),
                        " tokens, fewer than one window of seq_len+1=", seq_len + 1,
                        "; hint: hold out more documents (--val-fraction) or lower data.seq_len"));
  int64_t windows = val_tokens > 0 ? std::min(available, val_tokens / seq_len) : available;
  if (val_tokens > 0 && val_tokens / seq_len > available)
    log_warn(str_cat("eval.val_tokens=", val_tokens, " but the validation split holds only ",
                     available * seq_len, " tokens in windows; using them all"));
  CROSSOVER_CHECK(windows >= 1, "eval.val_tokens=", val_tokens, " is less than one window of ",
                  seq_len, " tokens");
  std::vector<torch::Tensor> batches;
  int64_t n_batches = (windows + batch_size - 1) / batch_size;
  for (int64_t k = rank; k < n_batches; k += world) {
    int64_t first = k * batch_size, rows = std::min(batch_size, windows - first);
    torch::Tensor b = torch::empty({rows, seq_len + 1}, torch::kLong);  // (b, T+1)
    for (int64_t j = 0; j < rows; ++j) {
      const int64_t k = first + j;  // the window's index in the set (MC draws key on it)
      const int64_t w = spread ? k * available / windows : k;  // its place in the split
      stream.copy(w * seq_len, seq_len + 1, b.data_ptr<int64_t>() + j * (seq_len + 1));
    }
    batches.push_back(b);
  }
  return batches;
}

double validation_bytes_per_token(const Tokenizer& tok, const std::vector<torch::Tensor>& batches) {
  int64_t bytes = 0, tokens = 0;
  for (const auto& b : batches) {
    auto x = b.narrow(1, 0, b.size(1) - 1).to(torch::kInt32).contiguous();  // (b, T)
    const int32_t* p = x.data_ptr<int32_t>();
    std::vector<int32_t> ids(p, p + x.numel());
    bytes += static_cast<int64_t>(tok.decode(ids, /*skip_special=*/true).size());
    tokens += x.numel();
  }
  return tokens > 0 && bytes > 0 ? static_cast<double>(bytes) / static_cast<double>(tokens) : 1.0;
}

}  // namespace crossover
