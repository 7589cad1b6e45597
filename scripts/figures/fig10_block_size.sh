#!/usr/bin/env bash
# fig10_block_size.sh — Figure 10 (docs/paper.md experiment 10; crossover's addition, no
# counterpart in the paper): the block size from AR (block 1) through block diffusion (bd3)
# to full masked diffusion (mdm, block T) under one unique-token budget. Where does the
# crossover against AR sit as the block grows?
# Plots: val loss vs tokens per budget with each paradigm's crossover against AR; best val
# loss vs block size; best-so-far val loss vs training FLOPs (bd3 costs ~2x AR per token;
# matched_flops.md compares at matched compute); `crossover fit`'s crossover intervals.
#
# --scale mini: 30 runs = {AR, bd3 block 4 / 16 / 32, mdm} x unique {20k, 80k} (19,968 /
#   79,872 tokens; 75 / 19 epochs) x 3 seeds, each seed with its own unique subset
#   (data.subset_seed tied to run.seed), model_xs (T = 128), 1.5M tokens each, validation on
#   the same 128k held-out tokens for every run. Measured time:
#   docs/results/fig10_block_size_mini/RESULTS.md.
# --scale paper: 10 runs of figure 1's 1B recipe at 0.5B and 1.5B unique, 96B tokens seen.
# Example: scripts/figures/fig10_block_size.sh --scale mini [--dry-run] [--jobs 2 --set runtime.threads=1]
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/fig10_block_size.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 10: block size" --kind curves --kind crossover --kind best --x data.unique_tokens
make_fit "Fig 10: block size"
fig_run "$CROSSOVER_PYTHON" "$FIG_ROOT/scripts/figures/matched_flops.py" "$FIG_REPORT_DIR/report.json" \
  --title "Fig 10: block size ($FIG_SCALE)"
[ "$FIG_DRY" = 1 ] || FIG_RESULTS_ARGS+=(--append "$FIG_REPORT_DIR/matched_flops.md")
figure_done "Fig 10: block size"
