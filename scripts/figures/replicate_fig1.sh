#!/usr/bin/env bash
# replicate_fig1.sh — does figure 1's crossover survive off the toy axis? The figure-1 pair
# (AR and DLM, each at its tuned LR) at two unique budgets, once with a SentencePiece-4k
# tokenizer (unique data matched in bytes; compare bits/byte) and once with a 4-layer model.
# Each replication is reported like figure 1 (report + fit: crossover intervals, the
# data-efficiency factor at the two budgets) under figures/<sweep name>/.
#
# --scale mini: configs/sweeps/mini/replicate_sp4k.yaml (12 runs: 6.4k / 25.6k SentencePiece
#   tokens = 20k / 80k bytes, 962k tokens = 3M bytes, 3 seeds) and replicate_4layer.yaml (12
#   runs: n_layers 4, 20k / 80k byte tokens, 3M tokens, 3 seeds). Prepares data/python-stdlib-sp4k first
#   (~1 min). Measured time: docs/results/replicate_*_mini/RESULTS.md. No paper scale: the
#   paper's own figures are already off this axis.
# Example: scripts/figures/replicate_fig1.sh --scale mini [--dry-run] [--jobs 2 --set runtime.threads=1]
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
[ "$FIG_SCALE" = mini ] || fig_die "only --scale mini: the replication is of the mini figure 1"
ensure_mini_data
SP=data/python-stdlib-sp4k
if [ ! -f "$SP/meta.json" ]; then
  fig_run "$CROSSOVER" data prepare --source python-stdlib --tokenizer sentencepiece \
    --vocab-size 4096 --out "$SP"
fi
GROUPING=(--variant-key train.lr --ignore-key train.total_tokens)
for name in replicate_sp4k replicate_4layer; do
  case $name in
    replicate_sp4k) title="Fig 1 replicated: SentencePiece 4k" ;;
    replicate_4layer) title="Fig 1 replicated: 4 layers" ;;
  esac
  SWEEP=$FIG_SWEEPS/$name.yaml
  FIG_START=$(date +%s)
  run_sweep "$SWEEP"
  make_report "$SWEEP" "${GROUPING[@]}" --metric val_loss --metric val_bpb
  plot "$title" --kind curves --kind crossover --x data.unique_tokens
  make_fit "$title" "${GROUPING[@]}"
  figure_done "$title"
done
