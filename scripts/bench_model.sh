#!/usr/bin/env bash
# bench_model.sh — forward+backward throughput of the C++ model vs the same
# model in PyTorch eager (same weights shape, batch, T, threads), for the ~5M
# and ~25M configs and the AR and MDM objectives; prints a side-by-side table.
# Cost: ~2-4 minutes on 2 CPU cores (B=8, T=256, 1 warmup + 5 timed steps
# each); needs build/crossover and the venv Python. Other processes on the
# machine skew the numbers: run it on a quiet machine, or twice.
# Example: scripts/bench_model.sh            # or BATCH=4 STEPS=10 scripts/bench_model.sh configs/bench_5m.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/crossover}
PY=${PY:-${CROSSOVER_VENV:-$HOME/.cache/crossover/venv}/bin/python}
BATCH=${BATCH:-8}
STEPS=${STEPS:-5}
WARMUP=${WARMUP:-1}
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(configs/bench_5m.yaml configs/bench_25m.yaml)
printf "%-22s %-4s %8s %12s %12s %7s\n" config obj params "C++ tok/s" "Py tok/s" ratio
for cfg in "${CONFIGS[@]}"; do
  for kind in ar mdm; do
    cxx=$("$BIN" bench-model "$cfg" --set objective.kind=$kind --batch "$BATCH" \
          --steps "$STEPS" --warmup "$WARMUP" --json)
    py=$("$PY" scripts/bench/model_ref_bench.py "$cxx")
    "$PY" - "$cfg" "$kind" "$cxx" "$py" <<'PYEOF'
import json, os, sys
cfg, kind, c, p = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
print("%-22s %-4s %7.1fM %12.0f %12.0f %6.2fx" % (os.path.basename(cfg), kind, c["params"] / 1e6,
      c["tok_s"], p["tok_s"], c["tok_s"] / p["tok_s"]))
PYEOF
  done
done
echo "(B=$BATCH, T from the config, threads $("$BIN" version | sed 's/.*threads: //'), $(uname -m), load $(cut -d' ' -f1 /proc/loadavg))"
