#!/usr/bin/env bash
# fig4_sparse_dense.sh — Figure 4 (PAPER.md experiment 4): sparse vs dense. AR and DLM
# as a small dense model, an 8-expert top-1 MoE with the small model's active size, and a
# dense model about the MoE's total size; DLM should win everywhere, the DLM MoE land
# between its parameter- and compute-matched dense models.
#
# --scale mini: 6 runs = {AR, DLM} x {model_s, model_s_moe, model_xl} (~0.85M dense,
#   ~5M total / 0.85M active MoE, ~5.1M dense), 50k unique x 50 epochs = 2.5M tokens each.
#   Assumed 25k / ~12k (routing overhead) / ~4.5k tokens/s: ~100 + 210 + 560 s per
#   objective, ~29 min training + ~4 min evaluation = ~33 min.
# --scale paper: 6 runs = {AR, DLM} x {1B dense, 8B1A MoE, 8B dense}, 1B unique x 96 epochs.
# Example: scripts/figures/fig4_sparse_dense.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/fig4_sparse_dense.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 4: sparse vs dense" --kind curves --kind crossover --x params_active
figure_done "Fig 4: sparse vs dense"
