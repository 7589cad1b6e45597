#!/usr/bin/env bash
# bench_memory.sh — checks the planner's memory model (include/crossover/train/plan.h)
# against measured memory on this CPU: for each config, with and without activation
# checkpointing, `crossover bench` trains a few steps (peak RSS minus the RSS before the
# model was built = what training used) beside `crossover plan --gpu cpu` (predicted
# weights + gradients + AdamW state + activations). Prints both and the relative error.
# Cost: ~1-2 min on 2 cores, < 2 GB. Do not run it while a figure trains.
# Example: scripts/bench_memory.sh            # CONFIGS="configs/tiny_ar.yaml" scripts/bench_memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${CROSSOVER:-build/crossover}
PY=${CROSSOVER_PYTHON:-$HOME/.cache/crossover/venv/bin/python}
[ -x "$PY" ] || PY=python3
CONFIGS=${CONFIGS:-"configs/tiny_ar.yaml configs/tiny_mdm.yaml configs/mini/model_s.yaml configs/bench_5m.yaml configs/bench_25m.yaml"}
printf '%-28s %-7s %12s %12s %8s\n' config ckpt "measured MB" "planned MB" error
for cfg in $CONFIGS; do
  for ckpt in none blocks; do
    sets=(--set model.activation_checkpointing=$ckpt --set runtime.device=cpu --set model.vocab_size=260)
    # A fixed mmap threshold keeps glibc from parking freed blocks in its heap, so peak
    # RSS follows the bytes actually live (without it, RSS peaks ~20% above them).
    bench=$(MALLOC_MMAP_THRESHOLD_=65536 "$BIN" bench "$cfg" "${sets[@]}" --steps 2 --warmup 1 --json)
    plan=$("$BIN" plan "$cfg" "${sets[@]}" --gpus 1 --gpu cpu --json)
    "$PY" - "$cfg" "$ckpt" "$bench" "$plan" <<'PYEOF'
import json, sys
cfg, ckpt, bench, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
measured = bench["peak_mem_mb"] - bench["baseline_mem_mb"]
planned = plan["memory"]["none"][ckpt]["total"] / 2**20
print(f"{cfg:<28} {ckpt:<7} {measured:12.1f} {planned:12.1f} {100 * (planned - measured) / measured:+7.1f}%")
PYEOF
  done
done
