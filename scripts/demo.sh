#!/usr/bin/env bash
# demo.sh — the README's main job: a small AR-vs-DLM crossover on a built-in
# corpus. Installs what is missing, builds, prepares the byte-level Python
# standard-library corpus, trains an AR and a masked-diffusion model on the same
# 20k unique tokens (19,968 exactly) repeated for ~75 epochs, three seeds each
# (configs/sweeps/demo.yaml), then
# prints the crossover table and writes the plot.
# Cost: ~3 min on a 2-core CPU once built; a fresh clone on a new venv and an empty
# compiler cache took 16.1 min (setup 2.5, build of the binary 10.8, runs 2.4); the
# build peaks at ~2 GB of memory.
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
