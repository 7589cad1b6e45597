// activation_checkpoint.h — recompute a Transformer block in backward instead
// of keeping its activations (LibTorch C++ has no torch.utils.checkpoint).
//
// checkpoint_block(block, x, causal) returns what block->forward(x, causal)
// returns — the block output and its MoE auxiliary loss — but keeps only the
// input x (B, T, C) for backward. In backward the block's forward runs again
// with grad enabled and the global random generators (CPU, and the CUDA one of
// x's device) set to the state they had at the first forward, so dropout draws
// the same masks; the recomputed graph is then back-propagated, accumulating
// parameter gradients as the plain forward would have ("reentrant" checkpointing).
// Gradients equal the uncheckpointed ones bit for bit on CPU fp32
// (tests/model/activation_checkpoint_test.cpp).
//
// Costs one extra block forward per backward; saves all intra-block
// activations (for a dense block ~ (10 C + 3 F) values per token instead of C).
#pragma once

#include <torch/types.h>

#include <functional>
#include <utility>

#include "crossover/model/block.h"

namespace crossover {

// Returns {out (B, T, C), aux (scalar; zero for a dense block)}. Without
// autograd (no grad mode, or nothing requires grad) it is a plain forward.
std::pair<torch::Tensor, torch::Tensor> checkpoint_block(BlockImpl& block, const torch::Tensor& x,
                                                         const AttentionLayout& layout);

// Called in backward inside the replay's grad and autocast scope, just before
// the block runs again (tests observe the state the recompute sees); empty =
// none. Not thread-safe: set it before training starts.
using CheckpointReplayObserver = std::function<void()>;
void set_checkpoint_replay_observer(CheckpointReplayObserver observer);

}  // namespace crossover
