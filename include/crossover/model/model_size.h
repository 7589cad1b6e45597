// model_size.h — parameter counts of the Transformer a ModelConfig describes,
// in closed form, without building it (so a config whose model would not fit
// can be refused before anything is allocated).
//
// Counted in double: a mistyped size (d_model: 10^12) must give a huge number,
// not an int64 overflow. tests/model/model_size_test.cpp checks every count
// against TransformerImpl::param_count() of the built module.
#pragma once

#include <cstdint>

#include "crossover/config/config.h"

namespace crossover {

struct ModelSize {
  double total = 0;      // every parameter (a tied embedding once)
  double active = 0;     // MoE: top_k experts instead of all (== total when dense)
  double embedding = 0;  // token embedding + untied output head
  double nonembed() const { return total - embedding; }
};

// vocab: the dataset's vocabulary, used when model.vocab_size is auto (0).
ModelSize model_size(const ModelConfig& m, int64_t vocab);

// Training FLOPs per token, the convention MFU uses everywhere (PaLM/nanoGPT):
// 6 x (active parameters that multiply, the output head included, the input
// lookup not) + 12 L C T for attention scores and values. Equals
// TransformerImpl::flops_per_token of the built model.
double model_flops_per_token(const ModelConfig& m, int64_t vocab, int64_t seq_len);

}  // namespace crossover
