// validation.h — the fixed validation batches, identical for AR and masked
// diffusion so their losses compare: the same tokens, windows and order in
// every run and at every evaluation.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "crossover/data/dataset.h"

namespace crossover {

// The fixed validation set, the same for every objective: validation documents
// in file order, packed with EOS like training, n = min(val_tokens, L-1) / T
// windows (val_tokens = 0: all) of T+1 tokens, split into batches of
// batch_size rows (the last may be shorter), each (b, T+1) int64.
//   spread = false: the first n windows, stream[i*T, i*T+T+1);
//   spread = true:  n of the A = (L-1)/T windows evenly over the whole split,
//                   window floor(k*A/n) for k < n, so a small set still covers
//                   every document instead of the first few.
// With world > 1, rank r takes batches r, r+W, ... Throws Error when the
// dataset has no validation split or it is shorter than one window.
std::vector<torch::Tensor> validation_batches(const PreparedDataset& data, int64_t seq_len,
                                              int64_t val_tokens, int64_t batch_size,
                                              int rank = 0, int world = 1, bool spread = false);

// UTF-8 bytes per token of the batches' first T tokens (specials skipped), for
// bits/byte; 1 when nothing decodes.
double validation_bytes_per_token(const Tokenizer& tok, const std::vector<torch::Tensor>& batches);

}  // namespace crossover
