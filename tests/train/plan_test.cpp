// The planner's numbers against hand-computed ones for a tiny config (the
// formulas of plan.h written out), and its fit decisions.
#include "crossover/train/plan.h"

#include <gtest/gtest.h>

#include "crossover/config/loader.h"
#include "crossover/util/check.h"

namespace crossover {
namespace {

Config tiny() {
  return load_config_from_string(
      "model:\n  d_model: 64\n  n_layers: 2\n  n_heads: 4\n  max_seq_len: 32\n"
      "data:\n  seq_len: 32\ntrain:\n  batch_size: 8\n  total_tokens: 1000000\n",
      "tiny.yaml");
}

TEST(Plan, HandComputedTinyConfig) {
  Config c = tiny();
  DeviceSpec dev = device_spec("h100", Precision::kFp32);  // fp32: 4-byte activations, half the bf16 peak
  Plan p = make_plan(c, 260, 2, dev, 0.5, ShardMode::none);
  // Parameters: embedding 260*64 + head 64*260 = 33280; per block: wqkv 64*192, wo 64*64,
  // q/k norm 2*16, gate_up 64*384, down 192*64, two norms 2*64 -> 53408; final norm 64.
  const double P = 33280 + 2 * 53408 + 64;
  EXPECT_EQ(p.size.total, P);
  EXPECT_EQ(p.micro_batch, 4);  // 8 rows over 2 ranks
  const auto& none = p.memory[0][0];
  EXPECT_EQ(none.weights, 4 * P);
  EXPECT_EQ(none.weight_copies, 0);  // fp32: no autocast copies
  EXPECT_EQ(none.gradients, 4 * P);
  EXPECT_EQ(none.grad_buffers, 4 * P);  // one fp32 bucket copy of every gradient
  EXPECT_EQ(none.optimizer, 8 * P);
  // Per token: block attn 2C + (H+2KV)D + (H+KV)D + 3HD + HD = 704, ffn 2C + 4F = 896
  // (F = 192), x 4 bytes = 6400 per block; head 4*3C + 12V = 3888; 4 rows x 32 tokens.
  EXPECT_EQ(none.activations, 4.0 * 32 * (2 * 6400 + 3888));
  EXPECT_EQ(none.runtime, 1024.0 * 1024 * 1024);
  EXPECT_EQ(p.memory[1][0].optimizer, 8 * P / 2);  // optimizer state sharded
  EXPECT_EQ(p.memory[1][0].gradients, 4 * P);      // .grad accumulates locally
  EXPECT_EQ(p.memory[1][0].grad_buffers, 4 * P);
  // ZeRO-2: .grad lives one parameter at a time (the largest: the 260 x 64
  // fused SwiGLU gate_up), the shards are 1/W, and the one bucket (P < 25 MiB)
  // is in flight whole.
  EXPECT_EQ(p.memory[2][0].gradients, 4 * 2 * 192 * 64);  // gate_up (2F, C)
  EXPECT_EQ(p.memory[2][0].grad_buffers, 4 * P / 2 + 4 * P);
  EXPECT_EQ(p.memory[2][0].optimizer, 8 * P / 2);
  // Checkpointing every block: each keeps its input (4 C bytes), one block replays.
  EXPECT_EQ(p.memory[0][1].activations, 4.0 * 32 * (2 * 4 * 64 + 6400 + 3888));
  // FLOPs: 6 (P - 2*V*C + V*C) + 12 L C T; time at 50% of 2 x 494.5 TFLOP/s.
  const double flops = 6 * (P - 260 * 64) + 12 * 2 * 64 * 32;
  EXPECT_DOUBLE_EQ(p.flops_per_token, flops);
  EXPECT_DOUBLE_EQ(p.step_time_s, flops * 256 / (2 * 494.5e12 * 0.5));
  EXPECT_DOUBLE_EQ(p.gpu_hours, 1e6 / (256 / p.step_time_s) * 2 / 3600);
}

// bf16: the autocast copies of the matmul weights (everything but the norms
// and the untied embedding table); world 1; a chunk's logits.
TEST(Plan, Bf16CopiesWorldOneAndLogitChunks) {
  Config c = tiny();
  const double P = 33280 + 2 * 53408 + 64;
  const double norms = 2 * (2 * 64 + 2 * 16) + 64;
  Plan p = make_plan(c, 260, 2, device_spec("h100", Precision::kBf16), 0.5, ShardMode::none);
  EXPECT_EQ(p.memory[0][0].weight_copies, 2 * (P - norms - 260 * 64));
  c.dist.grad_dtype = GradDtype::kBf16;  // bf16 buckets: half the bytes
  EXPECT_EQ(make_plan(c, 260, 2, device_spec("h100", Precision::kFp32), 0.5, ShardMode::none).memory[0][0].grad_buffers,
            2 * P);
  EXPECT_EQ(make_plan(c, 260, 2, device_spec("h100", Precision::kFp32), 0.5, ShardMode::gradients).memory[2][0].grad_buffers,
            4 * P / 2 + 2 * P + 2 * P / 2);  // fp32 shards, bf16 bucket and landing chunk
  // World 1: no GradSync, so no buckets, and dist.shard is ignored.
  Plan one = make_plan(tiny(), 260, 1, device_spec("h100", Precision::kFp32), 0.5, ShardMode::gradients);
  EXPECT_EQ(one.memory[2][0].grad_buffers, 0);
  EXPECT_EQ(one.memory[2][0].optimizer, 8 * P);
  // Logits: 4 rows x 32 tokens = 128 rows, under one chunk (loss_chunk_tokens()
  // rows); 200 rows of 32 tokens = 6400 rows: only one chunk's logits are kept.
  EXPECT_EQ(loss_chunk_tokens(tiny()), 4096);  // the default of train.loss_chunk_tokens
  const double per_row = activation_bytes(tiny(), 260, 1, false, false) / 32 - 12.0 * 260;
  EXPECT_EQ(activation_bytes(tiny(), 260, 200, false, false), 200 * 32 * per_row + 12.0 * 260 * 4096);
}

TEST(Plan, LossChunkTokensBoundsTheLogits) {
  Config k = tiny();
  const double base = activation_bytes(k, 260, 4, false, false);  // 128 rows, one chunk
  k.train.loss_chunk_tokens = 16;
  EXPECT_EQ(base - activation_bytes(k, 260, 4, false, false), 12.0 * 260 * (128 - 16));
}

TEST(Plan, FitsFollowsTheDeviceAndTheChoice) {
  Config c = tiny();
  c.model.d_model = 8192;  // ~1.1B parameters in two blocks + embeddings
  c.model.n_heads = 64;
  Plan small = make_plan(c, 260, 1, device_spec("h100", Precision::kBf16), 0.4, ShardMode::none);
  EXPECT_TRUE(small.fits(0, false));
  c.model.n_layers = 40;  // ~32B parameters: 16 B each is 512 GB
  Plan big = make_plan(c, 260, 8, device_spec("h100", Precision::kBf16), 0.4, ShardMode::gradients);
  EXPECT_FALSE(big.fits(0, false));
  EXPECT_FALSE(big.fits(2, true));  // 4 B/param of weights alone is 128 GB
  EXPECT_EQ(big.chosen_shard, 2);
  EXPECT_THROW(make_plan(c, 260, 3, device_spec("h100", Precision::kBf16), 0.4, ShardMode::none), UsageError);  // 8 rows / 3
  EXPECT_THROW(device_spec("tpu", Precision::kBf16), UsageError);
}

// The report's table names each dist.shard setting in words, the chosen row
// marked (a std::string once went through snprintf's %s here and printed bytes).
TEST(Plan, ReportTableNamesEveryShardSetting) {
  Config c = tiny();
  Plan p = make_plan(c, 260, 2, device_spec("h100", Precision::kFp32), 0.5, ShardMode::optimizer);
  const std::string r = plan_report(p, "tiny");
  for (const char* row : {"     none       none ", "     none       blocks ", "  -> optimizer  none ",
                          "     optimizer  blocks ", "     gradients  none ", "     gradients  blocks "})
    EXPECT_NE(r.find(row), std::string::npos) << "missing row starting '" << row << "' in\n" << r;
}

}  // namespace
}  // namespace crossover
