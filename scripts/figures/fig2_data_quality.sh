#!/usr/bin/env bash
# fig2_data_quality.sh — Figure 2 (docs/paper.md, experiment 2): data quality. AR and DLM on
# 1B (paper) / 100k (mini) unique tokens of low, medium and high quality data; higher
# quality lifts both, the crossover comes slightly later.
#
# Quality tiers are prepared datasets, one per tier (data.path in the sweep).
#   mini: data/quality-{low,medium,high}-byte, made here on first use by
#   `crossover data prepare --tier T` from the Python documentation (docs/data.md says
#   what makes each tier lower); paper: data/paper-neox-q-{low,medium,high}, prepared by
#   you from your low/medium/high quality sources.
# --scale mini: 6 runs = {AR, DLM} x 3 tiers, model_xs, 50k unique x ~30 epochs = 1.5M
#   tokens each (9M tokens): ~15-20 min on 2 cores.
# --scale paper: 6 runs of 1B models, 96B tokens each.
# Example: scripts/figures/fig2_data_quality.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
if [ "$FIG_SCALE" = mini ]; then
  for tier in low medium high; do
    [ -f data/quality-$tier-byte/meta.json ] ||
      fig_run "$CROSSOVER" data prepare --tier $tier --tokenizer byte --out data/quality-$tier-byte
  done
else
  require_paths "prepare the quality tiers first (see this script's header)" \
    data/paper-neox-q-low data/paper-neox-q-medium data/paper-neox-q-high
fi
SWEEP=$FIG_SWEEPS/fig2_data_quality.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 2: data quality" --kind curves
figure_done "Fig 2: data quality"
