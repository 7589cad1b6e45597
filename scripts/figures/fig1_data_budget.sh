#!/usr/bin/env bash
# fig1_data_budget.sh — Figure 1 (PAPER.md experiment 1): unique-data budget. AR and DLM
# at one model size under several unique-token budgets; less unique data -> earlier crossover.
# Plots: val loss (and task accuracy, if scored) vs tokens seen per budget with both
# crossovers marked; crossover point vs unique tokens.
#
# --scale mini: 6 runs = {AR, DLM} x unique {50k, 100k, 300k} (120 / 60 / 20 epochs),
#   model_s (~0.85M params, T=128), 6M tokens each = 36M tokens. Estimate at the assumed
#   25k tokens/s on 2 CPU cores (20-40k/s expected): ~24 min training + ~3 min evaluation
#   = ~27 min (plus a one-off ~1 min data preparation).
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
figure_done
