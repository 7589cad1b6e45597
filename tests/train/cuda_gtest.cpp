// GPU checks (label `gpu`): skipped where no CUDA device exists. The model's
// forward/backward on CUDA in fp32 against the CPU (the outside truth), and a
// bf16-autocast train step that runs and lowers the loss.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "crossover/config/loader.h"
#include "crossover/model/transformer.h"
#include "crossover/train/adamw.h"
#include "crossover/train/train_step.h"

namespace crossover {
namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

TEST(Cuda, ForwardBackwardMatchesCpuFp32) {
  SKIP_WITHOUT_CUDA();
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  for (bool causal : {true, false}) {
    ModelConfig mc;
    mc.d_model = 64;
    mc.n_layers = 2;
    mc.n_heads = 4;
    mc.max_seq_len = 64;
    torch::manual_seed(0);
    Transformer cpu(transformer_options_from_config(mc, 100));
    Transformer gpu(transformer_options_from_config(mc, 100));
    {
      torch::NoGradGuard ng;
      auto src = cpu->named_parameters();
      for (auto& p : gpu->named_parameters()) p.value().copy_(src[p.key()]);
    }
    gpu->to(torch::kCUDA);
    auto x = torch::randint(0, 100, {3, 48});
    auto lc = cpu->forward(x, causal).logits;
    auto lg = gpu->forward(x.cuda(), causal).logits;
    double scale = lc.abs().max().item<double>();
    EXPECT_LT((lc - lg.cpu()).abs().max().item<double>() / scale, 1e-4) << "causal=" << causal;
    lc.square().mean().backward();
    lg.square().mean().backward();
    auto gc = cpu->named_parameters();
    for (auto& p : gpu->named_parameters()) {
      auto a = gc[p.key()].grad(), b = p.value().grad().cpu();
      double s = std::max(a.abs().max().item<double>(), 1e-12);
      EXPECT_LT((a - b).abs().max().item<double>() / s, 1e-3) << p.key();
    }
  }
}

TEST(Cuda, Bf16AutocastTrainStepLowersLoss) {
  SKIP_WITHOUT_CUDA();
  for (std::string kind : {"ar", "mdm"}) {
    Config cfg = load_config_from_string("", "gpu", {"model.d_model=64", "model.n_layers=2",
                                                     "model.n_heads=4", "data.seq_len=64",
                                                     "model.max_seq_len=64", "train.lr=3e-3",
                                                     "train.lr_warmup_steps=0",
                                                     "runtime.precision=bf16",
                                                     "objective.kind=" + kind});
    TrainState st = make_train_state(cfg, 64, 63, torch::Device(torch::kCUDA, 0), nullptr);
    ASSERT_TRUE(st.bf16);
    auto tokens = torch::arange(65).remainder(7).repeat({8, 1});  // (8, 65), learnable
    double first = 0, last = 0;
    for (int s = 0; s < 30; ++s) {
      const double loss = train_step(st, tokens, s, 30).loss.item<double>();
      ASSERT_TRUE(std::isfinite(loss));
      if (s == 0) first = loss;
      last = loss;
    }
    EXPECT_LT(last, 0.5 * first) << kind;
  }
}


// ATen's fused AdamW kernel on CUDA against the per-tensor loop on the CPU
// (fp32; the kernel orders its arithmetic differently, hence a tolerance).
TEST(Cuda, FusedAdamWMatchesLoop) {
  SKIP_WITHOUT_CUDA();
  auto run = [](const std::string& impl, torch::Device dev) {
    torch::manual_seed(3);
    auto a = torch::randn({64, 32}).to(dev).requires_grad_();
    auto b = torch::randn({32}).to(dev).requires_grad_();
    AdamWOptions o{0.9, 0.95, 1e-8, 0.1};
    o.impl = impl;
    AdamW opt({{"a", a}, {"b", b}}, {"b"}, o);
    for (int s = 0; s < 5; ++s) {
      opt.zero_grad();
      auto x = torch::linspace(-1, 1, 32).to(dev) * (s + 1);
      (a.matmul(x).pow(2).sum() + (b * x).sin().sum()).backward();
      opt.step(1e-2);
    }
    return std::vector<torch::Tensor>{a.detach().cpu(), b.detach().cpu()};
  };
  auto ref = run("loop", torch::kCPU), fused = run("fused", torch::Device(torch::kCUDA, 0));
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_LT((ref[i] - fused[i]).abs().max().item<double>(), 1e-5) << i;
}

}  // namespace
}  // namespace crossover
