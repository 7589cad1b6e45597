#!/usr/bin/env bash
# demo.sh — the README's main job: a small AR-vs-DLM crossover on a built-in
# corpus. Installs what is missing, builds, prepares the byte-level Python
# standard-library corpus, trains an AR and a masked-diffusion model on the same
# 20k unique tokens (19,968 exactly) repeated for ~75 epochs, three seeds each
# (configs/sweeps/demo.yaml), then
# prints the crossover table and writes the plot.
# Cost: ~2 min on a 2-core CPU once built; a fresh machine (new venv, empty compiler
# cache) ~6.5 min: setup 2.2, build of the binary 2.4, runs and report 1.7 (measured
# 2026-12-03); the build peaks at ~4 GB of memory (two unity objects at once, ~1.8 GB each).
# Re-running skips finished runs and resumes interrupted ones.
# Example: scripts/demo.sh            (results: runs/demo/report/)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
TARGETS=crossover scripts/build.sh  # the binary only (tests: scripts/test.sh); a line per step: [done/total, seconds, ~minutes left]
CROSSOVER=build/crossover
PY=${CROSSOVER_VENV:-$HOME/.cache/crossover/venv}/bin/python
if [ ! -f data/python-stdlib-byte/meta.json ]; then
  $CROSSOVER data prepare --source python-stdlib --tokenizer byte --out data/python-stdlib-byte
fi
scripts/sweep.sh configs/sweeps/demo.yaml --out runs
$CROSSOVER report runs/demo --out runs/demo/report
"$PY" scripts/plot.py runs/demo/report/report.json --kind curves --out runs/demo/report \
  --title "demo: AR vs DLM, 20k unique tokens x 75 epochs, 3 seeds"
echo "plots: $(ls runs/demo/report/*.png | tr '\n' ' ')"
