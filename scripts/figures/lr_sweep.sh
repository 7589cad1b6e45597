#!/usr/bin/env bash
# lr_sweep.sh — the learning-rate sweep behind "each paradigm tuned": AR and the DLM (mdm) at
# four learning rates on figure 1's setting, two seeds with their own unique data. Which
# learning rate is best for each, and does the crossover survive when each runs at its own?
# Plots: best validation loss vs learning rate per paradigm (seed mean ± sd); the curves per
# learning rate; the crossover point per learning rate.
#
# --scale mini: 16 runs = {AR, mdm} x lr {3e-4, 1e-3, 3e-3, 1e-2} x 2 seeds, model_xs
#   (T = 128), 20k unique tokens (75 epochs), 1.5M tokens each, validation on the same 128k
#   held-out tokens. Measured time: docs/results/lr_sweep_mini/RESULTS.md.
# --scale paper: 16 runs of figure 1's 1B recipe at 0.5B unique, lr {1, 2, 4, 8}e-4.
# Example: scripts/figures/lr_sweep.sh --scale mini [--dry-run] [--jobs 2 --set runtime.threads=1]
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/lr_sweep.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Learning-rate sweep" --kind best --kind curves --kind crossover --x train.lr
figure_done "Learning-rate sweep"
