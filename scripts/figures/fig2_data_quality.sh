#!/usr/bin/env bash
# fig2_data_quality.sh — Figure 2 (PAPER.md experiment 2): data quality. AR and DLM on
# 1B (paper) / 100k (mini) unique tokens of low, medium and high quality data; higher
# quality lifts both, the crossover comes slightly later.
#
# Quality tiers are prepared datasets, one per tier (data.path in the sweep):
#   mini: data/python-stdlib-byte-q-low, data/python-stdlib-byte-q-medium, and the
#   standard data/python-stdlib-byte as "high"; paper: data/paper-neox-q-{low,medium,high}.
#   `crossover data prepare` does not build quality tiers itself: prepare the low/medium
#   tiers from lower-quality sources (e.g. unfiltered or corrupted code) into those folders.
# --scale mini: 6 runs = {AR, DLM} x 3 tiers, model_s, 100k unique x 60 epochs = 6M tokens
#   each (36M tokens): ~27 min at the assumed 25k tokens/s on 2 cores.
# --scale paper: 6 runs of 1B models, 96B tokens each.
# Example: scripts/figures/fig2_data_quality.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
if [ "$FIG_SCALE" = mini ]; then
  require_paths "prepare the quality tiers first (see this script's header)" \
    data/python-stdlib-byte-q-low data/python-stdlib-byte-q-medium
else
  require_paths "prepare the quality tiers first (see this script's header)" \
    data/paper-neox-q-low data/paper-neox-q-medium data/paper-neox-q-high
fi
SWEEP=$FIG_SWEEPS/fig2_data_quality.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 2: data quality" --kind curves
figure_done
