#!/usr/bin/env bash
# anneal_ar.sh — AR annealed at its early-stopping point (issue: a fair AR baseline). A WSD
# run decays only at the end of its budget, but AR's best validation loss under heavy
# repetition comes long before that, in the constant-LR phase; the DLM's comes after its decay.
# This branches a decay from each AR run's best checkpoint (`crossover train --branch-from`,
# train.total_tokens = tokens at the best step / (1 - decay_frac), so the decay starts there
# at the parent's peak LR) and compares the annealed AR with the DLM of the same seed and data.
#
# --scale mini: the parents are configs/sweeps/mini/anneal_ar.yaml (the learning-rate sweep's
#   AR runs at lr 1e-3 and 3e-3, 2 seeds, a checkpoint at every evaluation); two branches per
#   parent, decay over the last 20% and 50% of the new total (0.25x and 1x the tokens before
#   the best step); the DLM is the learning-rate sweep's (runs/lr_sweep_mini, run
#   scripts/figures/lr_sweep.sh first; each seed's best lr). Results: docs/results/anneal_ar_mini/.
# Example: scripts/figures/anneal_ar.sh --scale mini [--dry-run] [--jobs 2 --set runtime.threads=1]
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
[ "$FIG_SCALE" = mini ] || fig_die "only --scale mini has parents (configs/sweeps/mini/anneal_ar.yaml)"
ensure_mini_data
SWEEP=$FIG_SWEEPS/anneal_ar.yaml
run_sweep "$SWEEP"
PARENTS=$FIG_OUT/$(sweep_name "$SWEEP")
BRANCHES=${PARENTS}_branches
OUTDIR=figures/anneal_ar_mini
FRACS=(0.2 0.5)
anneal_branches "$PARENTS" "$BRANCHES" "" "${FRACS[@]}"
if [ "$FIG_DRY" = 1 ]; then
  echo "== dry run done: nothing was trained, reported or plotted"
  exit 0
fi
elapsed=$(( $(date +%s) - FIG_START ))
fig_run "$CROSSOVER_PYTHON" "$FIG_ROOT/scripts/figures/anneal_ar.py" summarize "$PARENTS" "$BRANCHES" \
  --dlm "$FIG_OUT/lr_sweep_mini" --out "$OUTDIR"
mkdir -p docs/results/anneal_ar_mini
cp "$OUTDIR"/anneal.json "$OUTDIR"/table.md docs/results/anneal_ar_mini/
echo "== done in $(( elapsed / 60 )) min $(( elapsed % 60 )) s (parents and branches; table in docs/results/anneal_ar_mini/table.md)"
