#!/usr/bin/env bash
# fig7_code_at_scale.sh — Figure 7 (PAPER.md experiment 7): code at scale. AR and DLM on
# few unique Python tokens for ~144 epochs at constant lr, then an anneal (wsd); expect a
# clear early crossover. HumanEval / MBPP are scored only at paper scale, as multiple-choice
# task files (data/tasks/humaneval.jsonl, mbpp.jsonl) if prepared.
#
# --scale mini: 2 runs = {AR, DLM}, model_m (~1.8M params), 30k unique x 144 epochs =
#   4.32M tokens each: ~12 min training at an assumed ~12k tokens/s + ~1 min evaluation.
# --scale paper: 2 runs of 1.7B models, 10B unique Python tokens, 1.5T tokens each.
# Example: scripts/figures/fig7_code_at_scale.sh --scale mini --dry-run
source "$(dirname "$0")/lib.sh"
figure_setup "$@"
ensure_mini_data
SWEEP=$FIG_SWEEPS/fig7_code_at_scale.yaml
run_sweep "$SWEEP"
make_report "$SWEEP"
plot "Fig 7: code at scale" --kind curves
figure_done "Fig 7: code at scale"
