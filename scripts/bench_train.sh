#!/usr/bin/env bash
# bench_train.sh — train-step throughput of `crossover bench` (C++: model,
# objective, AdamW, clipping) next to the same step in PyTorch eager from
# Python (scripts/bench/train_step_ref_bench.py), same torch, threads, shapes;
# for the ~5M and ~25M configs, AR and MDM. Prints a table with the ratio.
# Cost: ~3-6 minutes on 2 CPU cores (B=8, T=256, 2 warm-up + 5 timed steps).
# Other processes on the machine skew the numbers: run it on a quiet machine.
# Example: scripts/bench_train.sh     # or STEPS=10 scripts/bench_train.sh configs/bench_5m.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/crossover}
PY=${PY:-${CROSSOVER_VENV:-$HOME/.cache/crossover/venv}/bin/python}
STEPS=${STEPS:-5}
WARMUP=${WARMUP:-2}
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(configs/bench_5m.yaml configs/bench_25m.yaml)
echo "torch $("$PY" -c 'import torch; print(torch.__version__)'), $(nproc) cores, $(uname -m)"
printf "%-16s %-4s %8s %12s %12s %7s %8s\n" config obj params "C++ tok/s" "Py tok/s" ratio "C++ MFU"
for cfg in "${CONFIGS[@]}"; do
  for kind in ar mdm; do
    cxx=$("$BIN" bench "$cfg" --set objective.kind=$kind --set train.batch_size=8 \
          --steps "$STEPS" --warmup "$WARMUP" --json)
    py=$("$PY" scripts/bench/train_step_ref_bench.py "$cxx")
    "$PY" - "$cfg" "$kind" "$cxx" "$py" <<'PYEOF'
import json, os, sys
cfg, kind, c, p = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
print("%-16s %-4s %7.1fM %12.0f %12.0f %6.2fx %7.1f%%" % (os.path.basename(cfg), kind,
      c["params"] / 1e6, c["tokens_per_s"], p["tokens_per_s"], c["tokens_per_s"] / p["tokens_per_s"],
      100 * c["mfu"]))
PYEOF
  done
done
