#!/usr/bin/env bash
# bench_model.sh — forward+backward throughput of the C++ model vs the same
# model in PyTorch eager (same weights shape, batch, T, threads), for the ~5M
# and ~25M configs and the AR and MDM objectives; prints a side-by-side table.
# Throughput is B·T / (fastest timed step) on both sides, best of REPEAT
# alternating C++/Python runs: the fastest step is the one least disturbed by
# other processes. THREADS (default: the config's
# runtime.threads, auto = all cores) sets intra-op threads for both; on a
# shared, busy machine THREADS=1 gives far more stable numbers (OpenMP teams
# stall when one of their threads is descheduled).
# Cost: ~4 minutes per repeat on 2 CPU cores (B=8, T=256, 1 warmup + 4 timed
# steps each); needs build/crossover and the venv Python.
# Example: scripts/bench_model.sh     # or THREADS=1 STEPS=8 scripts/bench_model.sh configs/bench_5m.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/crossover}
PY=${PY:-${CROSSOVER_VENV:-$HOME/.cache/crossover/venv}/bin/python}
BATCH=${BATCH:-8}
STEPS=${STEPS:-4}
THREADS=${THREADS:-}
EXTRA=()
[ -n "$THREADS" ] && EXTRA=(--set runtime.threads="$THREADS")
WARMUP=${WARMUP:-1}
REPEAT=${REPEAT:-2}
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(configs/bench_5m.yaml configs/bench_25m.yaml)
printf "%-22s %-4s %8s %12s %12s %7s\n" config obj params "C++ tok/s" "Py tok/s" ratio
for cfg in "${CONFIGS[@]}"; do
  for kind in ar mdm; do
    runs=()
    for ((r = 0; r < REPEAT; r++)); do
      cxx=$("$BIN" bench "$cfg" --part model --set objective.kind=$kind --batch "$BATCH" \
            --steps "$STEPS" --warmup "$WARMUP" "${EXTRA[@]}" --json)
      py=$("$PY" scripts/bench/model_ref_bench.py "$cxx")
      runs+=("$cxx" "$py")
    done
    "$PY" - "$cfg" "$kind" "${runs[@]}" <<'PYEOF'
import json, os, sys
cfg, kind, runs = sys.argv[1], sys.argv[2], [json.loads(a) for a in sys.argv[3:]]
best = lambda rs: max(rs, key=lambda d: d["tokens_per_s_best"])
c, p = best(runs[0::2]), best(runs[1::2])
print("%-22s %-4s %7.1fM %12.0f %12.0f %6.2fx" % (os.path.basename(cfg), kind, c["params"] / 1e6,
      c["tokens_per_s_best"], p["tokens_per_s_best"], c["tokens_per_s_best"] / p["tokens_per_s_best"]))
PYEOF
  done
done
echo "(best of $REPEAT, B=$BATCH, T from the config, threads ${THREADS:-config}, $(nproc) cores, $(uname -m), load average at the end $(cut -d' ' -f1 /proc/loadavg))"
