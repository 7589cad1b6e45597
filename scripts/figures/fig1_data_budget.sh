#!/usr/bin/env bash
# fig1_data_budget.sh — Figure 1 (docs/paper.md, experiment 1): unique-data budget. AR and DLM
# at one model size under several unique-token budgets; less unique data -> earlier crossover.
# Plots: val loss (and task accuracy, if scored) vs tokens seen per budget with both
# crossovers marked; crossover point vs unique tokens; `crossover fit`'s laws per objective
# and predicted vs measured crossover (fit.json: intervals, data-efficiency factor, R_D*).
#
# --scale mini (dense): 45 runs = {AR at its tuned LR, AR + 70% input noise, DLM at its tuned
#   LR} x unique {10k, 20k, 40k, 80k, 160k} x 3 seeds with per-seed data, model_xs (~0.14M
#   params, T=128), 3M tokens each (28 tokens per non-embedding parameter), evaluation every
#   2 epochs to epoch 100, then every 10 (configs/sweeps/mini/fig1_data_budget.yaml); then
#   every AR run annealed at its early-stopping point (a WSD branch decaying over the last
#   20%: anneal_branches in lib.sh), reported as a fourth variant. The report and the fit
#   compare variants at their own train.lr / train.lr_decay_frac (--variant-key) and ignore
#   the branches' shorter train.total_tokens (--ignore-key). Measured time in
#   docs/results/fig1_data_budget_mini/RESULTS.md; use --jobs 2 --set runtime.threads=1.
# --scale paper: 10 runs = {AR, DLM} x unique {0.5B, 1B, 1.5B, 10B, 96B}, 1B models,
#   96B tokens each (configs/paper/model_1b.yaml); torchrun (default 8 GPUs) or slurm.
# Example: scripts/figures/fig1_data_budget.sh --scale mini [--dry-run] [--jobs 1]
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/fig1_data_budget.yaml
run_sweep "$SWEEP"
GROUPING=(--variant-key train.lr --variant-key train.lr_decay_frac --ignore-key train.total_tokens)
if [ "$FIG_SCALE" = mini ]; then
  PARENTS=$FIG_OUT/$(sweep_name "$SWEEP")
  anneal_branches "$PARENTS" "${PARENTS}_branches" ar 0.2
  FIG_EXTRA_RUN_DIRS=${PARENTS}_branches
fi
make_report "$SWEEP" "${GROUPING[@]}"
plot "Fig 1: unique-data budget" --kind curves --kind crossover --x data.unique_tokens
make_fit "Fig 1: unique-data budget" "${GROUPING[@]}"
figure_done "Fig 1: unique-data budget"
