// model_size.cpp — parameter counts and FLOPs per token from a model config, by hand
// (no module is built), for plan, the trainer's MFU and the report.
#include "crossover/model/model_size.h"

#include "crossover/model/swiglu.h"

namespace crossover {

ModelSize model_size(const ModelConfig& m, int64_t vocab) {
  const double C = static_cast<double>(m.d_model);
  const double V = static_cast<double>(m.vocab_size > 0 ? m.vocab_size : vocab);
  const double H = static_cast<double>(m.n_heads);
  const double KV = static_cast<double>(m.n_kv_heads > 0 ? m.n_kv_heads : m.n_heads);
  const double D = C / H;
  const double F = static_cast<double>(swiglu_hidden_dim(m.d_model, m.d_ff));  // sizes are bounded by the config
  const double b = m.bias ? 1.0 : 0.0;
  const double attn = C * (H + 2 * KV) * D + b * (H + 2 * KV) * D  // wqkv
                      + H * D * C + b * C                          // wo
                      + (m.qk_norm ? 2 * D : 0);                   // q_norm, k_norm
  const double expert = C * 2 * F + b * 2 * F + F * C + b * C;     // gate_up, down
  const double norms = 2 * C;                                      // attn_norm, ffn_norm
  double ffn = expert, ffn_active = expert;
  if (m.moe_experts > 0) {
    const double E = static_cast<double>(m.moe_experts), K = static_cast<double>(m.moe_top_k);
    ffn = E * expert + C * E;  // experts + router
    ffn_active = K * expert + C * E;
  }
  const double L = static_cast<double>(m.n_layers);
  ModelSize s;
  s.embedding = V * C * (m.tie_embeddings ? 1 : 2);
  s.total = s.embedding + L * (attn + ffn + norms) + C;  // + final norm
  s.active = s.embedding + L * (attn + ffn_active + norms) + C;
  return s;
}

double model_flops_per_token(const ModelConfig& m, int64_t vocab, int64_t seq_len) {
  const ModelSize s = model_size(m, vocab);
  const double V = static_cast<double>(m.vocab_size > 0 ? m.vocab_size : vocab);
  const double C = static_cast<double>(m.d_model);
  const double n_matmul = s.active - s.embedding + V * C;  // body + output head
  return 6.0 * n_matmul + 12.0 * static_cast<double>(m.n_layers) * C * static_cast<double>(seq_len);
}

}  // namespace crossover
