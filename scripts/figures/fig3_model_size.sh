#!/usr/bin/env bash
# fig3_model_size.sh — Figure 3 (docs/paper.md, experiment 3): model size. AR and DLM at four
# sizes on the same repeated data; larger models cross earlier (AR saturates or overfits).
# Plots: curves per size; crossover point vs non-embedding parameters.
#
# --scale mini: 24 runs = {AR, DLM} x widths {48, 64, 96, 128} of model_xs's shape (2 layers;
#   80k / 140k / 272k / 493k params incl. embeddings) x 3 seeds with per-seed data, 20k unique
#   tokens x 50 epochs = 1M tokens each, 128k validation tokens every 2 epochs.
#   Measured time: docs/results/fig3_model_size_mini/RESULTS.md.
# --scale paper: 8 runs = {AR, DLM} x {1B, 2B, 4B, 8B}, 1B unique x 96 epochs.
# Example: scripts/figures/fig3_model_size.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/fig3_model_size.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 3: model size" --kind curves --kind crossover --x params
figure_done "Fig 3: model size"
