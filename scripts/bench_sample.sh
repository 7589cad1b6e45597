#!/usr/bin/env bash
# bench_sample.sh — sampling throughput of `crossover sample` for the three
# paradigms, side by side in one run: new tokens per second and seconds for
#   AR   left to right, KV cache (and --no-cache, the full-recompute reference);
#   MDM  LLaDA unmasking, one token per step (steps = new tokens), blocks of 32;
#   BD3  block by block (block 16), one token per step, KV cache of the final
#        blocks (and --no-cache: the whole prefix under block-causal attention).
# Every row generates the same number of new tokens (an untrained model rarely
# hits EOS; a row that does counts its full length anyway, so stops only make
# AR/BD3 look slower). The models are tiny_*.yaml's (~0.4M params, T=128) after
# a few training steps: sampling cost does not depend on the weights. Cost:
# ~2-4 minutes on 2 CPU cores; prepares data/python-stdlib-byte if absent.
# Example: scripts/bench_sample.sh        # or NEW=96 K=16 DEVICE=cuda scripts/bench_sample.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/crossover}
DEVICE=${DEVICE:-cpu}
NEW=${NEW:-96}           # new tokens per sample (prompt + NEW <= 128; a multiple of 32 for MDM)
K=${K:-32}               # samples per batch
OUT=${OUT:-$(mktemp -d /tmp/crossover_bench_sample.XXXXXX)}
DATA=${DATA:-data/python-stdlib-byte}
[ -x "$BIN" ] || { echo "bench_sample: $BIN not built; run scripts/build.sh" >&2; exit 1; }
[ -f "$DATA/meta.json" ] || "$BIN" data prepare --source python-stdlib --tokenizer byte --out "$DATA" >/dev/null
train() {  # name config extra-sets...
  local name=$1 cfg=$2; shift 2
  [ -d "$OUT/runs/$name/checkpoints" ] && return 0
  "$BIN" train "$cfg" --set run.name="$name" --set data.path="$DATA" --set run.dir="$OUT/runs" \
    --set train.total_tokens=8192 --set train.eval_each_epoch=false --set eval.val_tokens=2048 \
    --set runtime.device="$DEVICE" "$@" >/dev/null 2>&1
}
train ar configs/tiny_ar.yaml
train mdm configs/tiny_mdm.yaml
train bd3 configs/tiny_mdm.yaml --set objective.kind=bd3 --set objective.block_size=16
PROMPT="def "
row() {  # label run args...
  local label=$1 run=$2; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" sample "$OUT/runs/$run" --prompt "$PROMPT" --max-new-tokens "$NEW" --num-samples "$K" \
    --seed 1 --device "$DEVICE" "$@" > "$OUT/$label.txt"
  t1=$(date +%s.%N)
  python3 - "$label" "$t0" "$t1" "$K" "$NEW" <<'EOF'
import sys
label, t0, t1, k, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = t1 - t0
print("%-26s %8d %9.2f %12.1f" % (label, k * n, s, k * n / s))
EOF
}
printf "%-26s %8s %9s %12s\n" sampler tokens seconds "tokens/s"
row "AR, KV cache" ar --temperature 0
row "AR, no cache" ar --temperature 0 --no-cache
row "MDM, blocks of 32" mdm --steps "$NEW" --block-length 32
row "BD3 block 16, KV cache" bd3 --steps "$NEW"
row "BD3 block 16, no cache" bd3 --steps "$NEW" --no-cache
echo "(seconds include loading the checkpoint, ~0.2 s; device $DEVICE, K=$K samples x $NEW new tokens," \
  "$("$BIN" version | sed 's/.*threads: /threads /'), load $(cut -d' ' -f1 /proc/loadavg); files in $OUT)"
