#!/usr/bin/env bash
# fig9_extreme_repetition.sh — docs/paper.md experiment 9: extreme repetition. A DLM (and AR
# for reference) on very few unique tokens for 480 epochs; the DLM keeps improving.
#
# --scale mini: 2 runs = {AR, DLM}, model_xs, 20k unique x 480 epochs = 9.6M tokens each
#   (19.2M tokens) at ~45k tokens/s: measured time in docs/results/fig9_extreme_repetition_mini/.
# --scale paper: 2 runs of 1B models, 1B unique x 480 epochs = 480B tokens each.
# Example: scripts/figures/fig9_extreme_repetition.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/fig9_extreme_repetition.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 9: extreme repetition" --kind curves
figure_done "Fig 9: extreme repetition"
