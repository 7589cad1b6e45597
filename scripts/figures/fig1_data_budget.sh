#!/usr/bin/env bash
# fig1_data_budget.sh — Figure 1 (PAPER.md experiment 1): unique-data budget. AR and DLM
# at one model size under several unique-token budgets; less unique data -> earlier crossover.
# Plots: val loss (and task accuracy, if scored) vs tokens seen per budget with both
# crossovers marked; crossover point vs unique tokens.
#
# --scale mini: 6 runs = {AR, DLM} x unique {20k, 50k, 100k} requested (U_eff 34.6k / 50.9k / 103k:
#   whole documents; 43 / 29 / 15 epochs), model_xs (~0.14M params, T=128), 1.5M tokens each
#   = 9M tokens; ~10-20k tokens/s on 2 CPU cores: ~10-15 min training + ~5 min evaluation
#   = ~15-20 min (plus a one-off ~1 s data preparation).
# --scale paper: 10 runs = {AR, DLM} x unique {0.5B, 1B, 1.5B, 10B, 96B}, 1B models,
#   96B tokens each (configs/paper/model_1b.yaml); torchrun (default 8 GPUs) or slurm.
# Example: scripts/figures/fig1_data_budget.sh --scale mini [--dry-run] [--jobs 1]
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/fig1_data_budget.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 1: unique-data budget" --kind curves --kind crossover --x data.unique_tokens
figure_done "Fig 1: unique-data budget"
