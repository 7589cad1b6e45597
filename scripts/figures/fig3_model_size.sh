#!/usr/bin/env bash
# fig3_model_size.sh — Figure 3 (PAPER.md experiment 3): model size. AR and DLM at four
# sizes on the same repeated data; larger models cross earlier (AR saturates or overfits).
# Plots: curves per size; crossover point vs non-embedding parameters.
#
# --scale mini: 8 runs = {AR, DLM} x {xs, s, m, l} (~0.11M / 0.85M / 1.8M / 3.2M params),
#   50k unique tokens x 60 epochs = 3M tokens each. Throughput assumed 25k tokens/s for
#   model_s, inversely proportional to size above it (xs ~60k/s): per run ~50 / 120 / 250 /
#   450 s, ~29 min training + ~4 min evaluation = ~33 min.
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
