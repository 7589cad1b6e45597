#!/usr/bin/env bash
# fig4_sparse_dense.sh — Figure 4 (docs/paper.md, experiment 4): sparse vs dense. AR and DLM
# as a small dense model, an 8-expert top-1 MoE with the small model's active size, and a
# dense model about the MoE's total size; DLM should win everywhere, the DLM MoE land
# between its parameter- and compute-matched dense models.
#
# --scale mini: 6 runs = {AR, DLM} x {model_xs, model_xs_moe, model_xs_w152} (140k dense,
#   657k total / 141k active MoE, 674k dense), 20k unique x 50 epochs = 1M tokens each.
#   Measured time: docs/results/fig4_sparse_dense_mini/RESULTS.md.
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
