#!/usr/bin/env bash
# fig6_dropout.sh — Figure 6 (docs/paper.md, experiment 6): AR with dropout (attention and
# residual, tied) 0, 0.1, 0.3, 0.5, 0.7, 0.9 against the DLM. Helps a little; stays far
# below the DLM. Plots: final and best metric vs dropout, DLM as a reference line; curves.
#
# --scale mini: 7 runs = 6 AR dropout rates + 1 DLM, model_xs, 20k unique x 50 epochs =
#   1M tokens each: 9.2 min on 2 cores (shared with a build).
# --scale paper: 7 runs of 1B models, 1B unique x 96 epochs.
# Example: scripts/figures/fig6_dropout.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/fig6_dropout.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 6: AR dropout" --kind noise --x model.dropout_resid --kind curves
figure_done "Fig 6: AR dropout"
