#!/usr/bin/env bash
# fig1_data_budget.sh — Figure 1 (docs/paper.md, experiment 1): unique-data budget. AR and DLM
# at one model size under several unique-token budgets; less unique data -> earlier crossover.
# Plots: val loss (and task accuracy, if scored) vs tokens seen per budget with both
# crossovers marked; crossover point vs unique tokens; `crossover fit`'s laws per objective
# and predicted vs measured crossover (fit.json: intervals, data-efficiency factor, R_D*).
#
# --scale mini: 12 runs = {AR, DLM} x unique {20k, 50k, 100k} (exact: 19,968 / 49,920 / 99,968
#   tokens; 75 / 30 / 15 epochs) x 2 seeds, model_xs (~0.14M params, T=128), 1.5M tokens each
#   = 18M tokens at ~50k tokens/s on 2 CPU cores: measured time in
#   docs/results/fig1_data_budget_mini/RESULTS.md (~10 min).
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
make_fit "Fig 1: unique-data budget"
figure_done "Fig 1: unique-data budget"
