#!/usr/bin/env bash
# fig5_input_noise.sh — Figure 5 (docs/paper.md, experiment 5): AR with input tokens masked at
# ratios 0, 0.1, 0.3, 0.5, 0.7, 0.9 (objective ar_noise) against the DLM. ~10% helps AR;
# no ratio reaches the DLM. Plots: final and best metric vs ratio with the DLM as a
# reference line; curves with crossovers.
#
# --scale mini: 14 runs = (6 AR ratios + 1 DLM) x 2 seeds, model_xs, 20k unique x 50 epochs
#   = 1M tokens each. Measured time: docs/results/fig5_input_noise_mini/RESULTS.md.
# --scale paper: 7 runs of 1B models, 1B unique x 96 epochs.
# Example: scripts/figures/fig5_input_noise.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/fig5_input_noise.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 5: AR input noise" --kind noise --x objective.input_noise --kind curves
figure_done "Fig 5: AR input noise"
