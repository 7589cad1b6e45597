#!/usr/bin/env bash
# fig8_valloss_vs_downstream.sh — Figure 8 (docs/paper.md, experiment 8): validation loss is
# not downstream accuracy. AR's validation loss rises under repetition while its task
# accuracy keeps rising, because the NLL gap between right and wrong options (delta NLL)
# keeps widening. Plots: val loss, accuracy, delta NLL vs tokens, val loss vs accuracy.
#
# Multiple-choice tasks (eval.tasks): mini makes its own, two built-in benchmarks from the
# validation documents (`crossover data make-tasks`, 200 items each, ~1 s):
# data/tasks/python-nextline.jsonl (distractors from other documents) and
# data/tasks/python-wordorder.jsonl (--distractors shuffled-words), or uses $FIG8_TASKS
# (comma-separated task JSONL files); paper reuses the figure-1 runs, whose recipe scores
# HellaSwag, MMLU, ARC-e/c and PIQA.
# --scale mini: 2 runs = {AR, DLM}, model_xs's shape at width 128 (493k params), 50k unique
#   x 40 epochs = 2M tokens each, tasks (100 items, 128 MC samples for the DLM) every 50
#   steps. Measured time: docs/results/fig8_valloss_vs_downstream_mini/RESULTS.md.
# --scale paper: the 10 runs of fig1 (already finished ones are skipped).
# Example: scripts/figures/fig8_valloss_vs_downstream.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
METRICS=(--metric val_loss --metric 'task/*/acc' --metric 'task/*/acc_norm' --metric 'task/*/delta_nll')
if [ "$FIG_SCALE" = mini ]; then
  if [ -z "${FIG8_TASKS:-}" ]; then
    # Two built-in tasks from the held-out documents: the next line among lines of other
    # documents (needs the context: at chance for models this small), and the next line
    # among reorderings of its own words (word order only: above chance at this scale).
    TASKS=data/tasks/python-nextline.jsonl,data/tasks/python-wordorder.jsonl
    mkdir -p data/tasks
    if [ ! -f data/tasks/python-nextline.jsonl ]; then
      fig_run "$CROSSOVER" data make-tasks data/python-stdlib-byte --out data/tasks/python-nextline.jsonl --items 200
    fi
    if [ ! -f data/tasks/python-wordorder.jsonl ]; then
      fig_run "$CROSSOVER" data make-tasks data/python-stdlib-byte --out data/tasks/python-wordorder.jsonl \
        --items 200 --distractors shuffled-words
    fi
  else
    TASKS=$FIG8_TASKS
  fi
  IFS=',' read -r -a task_list <<< "$TASKS"
  require_paths "set FIG8_TASKS=a.jsonl,b.jsonl to multiple-choice task files (eval.tasks)" "${task_list[@]}"
  SWEEP=$FIG_SWEEPS/fig8_valloss_vs_downstream.yaml
  run_sweep "$SWEEP" --set "eval.tasks=[${TASKS//,/, }]"
else
  SWEEP=$FIG_SWEEPS/fig1_data_budget.yaml
  FIG_REPORT_NAME=fig8_valloss_vs_downstream_paper
  run_sweep "$SWEEP"
fi
make_report "$SWEEP" "${METRICS[@]}"
plot "Fig 8: validation loss vs downstream" --kind valloss --kind curves
figure_done "Fig 8: validation loss vs downstream"
