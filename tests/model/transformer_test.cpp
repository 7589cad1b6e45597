// Transformer: AR causality (a later token never changes earlier logits),
// bidirectional attention sees the future, parameter counts by hand, init
// scales, weight-decay naming, FLOP formula.
#include "crossover/model/transformer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "crossover/config/loader.h"
#include "crossover/util/check.h"
#include "test_util.h"

namespace crossover {
namespace {

TransformerOptions tiny(int64_t V = 23) {
  return TransformerOptions(V, 16).n_layers(2).n_heads(2).max_seq_len(16).init_std(0.2);
}

TEST(Transformer, CausalLogitsIgnoreLaterTokensBidirectionalDoNot) {
  torch::manual_seed(13);
  Transformer model(tiny());
  model->eval();
  auto a = torch::randint(0, 23, {2, 10}, torch::kInt64);
  int64_t t = 4;
  auto b = a.clone();
  b.select(1, t + 1).add_(1).remainder_(23);  // change token t+1 only
  auto la = model(a, true).logits, lb = model(b, true).logits;
  EXPECT_TRUE(torch::equal(la.slice(1, 0, t + 1), lb.slice(1, 0, t + 1)));
  EXPECT_GT((la.slice(1, t + 1) - lb.slice(1, t + 1)).abs().max().item<double>(), 1e-4);
  auto ba = model(a, false).logits, bb = model(b, false).logits;
  EXPECT_GT((ba.slice(1, 0, t + 1) - bb.slice(1, 0, t + 1)).abs().max().item<double>(), 1e-4);
}

TEST(Transformer, ParameterCountByHand) {
  int64_t V = 50, C = 32, L = 3, H = 4, Hkv = 2, D = 8, F = 96;
  Transformer m(TransformerOptions(V, C).n_layers(L).n_heads(H).n_kv_heads(Hkv).d_ff(F));
  int64_t per_layer = 2 * C + (H + 2 * Hkv) * D * C + H * D * C + 2 * F * C + F * C + 2 * D;
  EXPECT_EQ(m->param_count(), V * C + L * per_layer + C + V * C);
  Transformer tied(TransformerOptions(V, C).n_layers(L).n_heads(H).n_kv_heads(Hkv).d_ff(F)
                       .tie_embeddings(true).bias(true));
  int64_t biases = (H + 2 * Hkv) * D + C + 2 * F + C;
  EXPECT_EQ(tied->param_count(), V * C + L * (per_layer + biases) + C);
  // FLOPs: 6·(non-embedding + head matmul) + 12·L·C·T
  double n_nonemb = static_cast<double>(L * per_layer + C);
  EXPECT_DOUBLE_EQ(m->flops_per_token(64), 6.0 * (n_nonemb + V * C) + 12.0 * L * C * 64);
  EXPECT_DOUBLE_EQ(tied->flops_per_token(64) - m->flops_per_token(64), 6.0 * L * biases);
}

TEST(Transformer, InitScalesAndNoDecayNames) {
  torch::manual_seed(14);
  auto o = TransformerOptions(1000, 128).n_layers(8).n_heads(4).init_std(0.02).bias(true);
  Transformer m(o);
  double out_std = 0.02 / std::sqrt(16.0);
  for (const auto& item : m->named_parameters()) {
    const auto& name = item.key();
    const auto& p = item.value();
    bool no_decay = is_no_decay_param(name);
    if (name.find("norm.weight") != std::string::npos) {
      EXPECT_TRUE(no_decay) << name;
      EXPECT_TRUE(torch::equal(p, torch::ones_like(p))) << name;
    } else if (name.size() > 5 && name.substr(name.size() - 5) == ".bias") {
      EXPECT_TRUE(no_decay) << name;
      EXPECT_EQ(p.abs().max().item<double>(), 0.0) << name;
    } else if (name.find("wo.weight") != std::string::npos ||
               name.find("down.weight") != std::string::npos) {
      EXPECT_FALSE(no_decay) << name;
      EXPECT_NEAR(p.std().item<double>(), out_std, 0.1 * out_std) << name;
    } else {
      EXPECT_EQ(no_decay, name == "tok_emb.weight") << name;
      EXPECT_NEAR(p.std().item<double>(), 0.02, 0.002) << name;
    }
  }
  EXPECT_TRUE(is_embedding_param("tok_emb.weight"));
  EXPECT_FALSE(is_embedding_param("head.weight"));
}

TEST(Transformer, OptionsFromConfig) {
  ModelConfig c;
  c.d_model = 64;
  c.n_heads = 4;
  auto o = transformer_options_from_config(c, 300);
  EXPECT_EQ(o.vocab_size(), 300);
  EXPECT_EQ(o.d_ff(), 192);  // 170.7 -> 192
  c.vocab_size = 512;
  EXPECT_EQ(transformer_options_from_config(c, 300).vocab_size(), 512);
  c.vocab_size = 100;
  EXPECT_THROW(transformer_options_from_config(c, 300), Error);
}

TEST(Transformer, TiedHeadUsesTheEmbeddingAndMoEReportsAux) {
  torch::manual_seed(15);
  Transformer tied(tiny().tie_embeddings(true));
  EXPECT_FALSE(tied->head);
  auto out = tied(torch::randint(0, 23, {1, 5}, torch::kInt64), true);
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{1, 5, 23}));
  EXPECT_EQ(out.aux_loss.item<double>(), 0.0);
  Transformer moe(tiny().moe_experts(4).moe_top_k(2));
  auto mo = moe(torch::randint(0, 23, {1, 5}, torch::kInt64), false);
  EXPECT_GT(mo.aux_loss.item<double>(), 0.0);
}

TEST(Transformer, DropoutSitesActOnlyWhileTraining) {
  torch::manual_seed(18);
  auto o = tiny().dropout_embed(0.3).dropout_attn(0.3).dropout_resid(0.3);
  Transformer dropped(o), plain(tiny());
  {
    torch::NoGradGuard g;
    auto src = plain->named_parameters();
    for (auto& item : dropped->named_parameters()) item.value().copy_(src[item.key()]);
  }
  auto x = torch::randint(0, 23, {2, 8}, torch::kInt64);
  dropped->eval();
  plain->eval();
  EXPECT_TRUE(torch::equal(dropped(x, false).logits, plain(x, false).logits));
  dropped->train();
  EXPECT_FALSE(torch::equal(dropped(x, false).logits, plain(x, false).logits));
}

TEST(Transformer, BenchConfigsHaveTheAdvertisedSizes) {
  auto size = [](const std::string& cfg) {
    Config c = load_config(crossover::testing::source_path(cfg));
    return Transformer(transformer_options_from_config(c.model, 0))->param_count();
  };
  EXPECT_NEAR(size("configs/bench_5m.yaml") / 1e6, 5.3, 0.1);
  EXPECT_NEAR(size("configs/bench_25m.yaml") / 1e6, 24.5, 0.1);
}

}  // namespace
}  // namespace crossover
