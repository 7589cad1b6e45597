#!/usr/bin/env bash
# bench_eval.sh — multiple-choice evaluation throughput (choices scored per
# second) of `crossover eval` for an AR model (exact log-likelihood, one
# forward per batch of choices) and an MDM (Monte Carlo conditional ELBO with
# MC=64 and MC=128 samples per choice, and MC=1 for reference); prints a table.
# BIN=other/crossover compares another build (e.g. the commit before a change).
# The model is tiny_ar.yaml's (~0.4M params, T=128) after a few training
# steps (weights do not change the cost); the task is `make-tasks` on the
# python-stdlib byte dataset (next-line, 4 choices, 8 lines of context).
# Cost: ~3-8 minutes on 2 CPU cores; prepares data/python-stdlib-byte if absent.
# Example: scripts/bench_eval.sh          # or ITEMS=50 DEVICE=cuda scripts/bench_eval.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/crossover}
DATA=${DATA:-data/python-stdlib-byte}
ITEMS=${ITEMS:-40}
DEVICE=${DEVICE:-cpu}
OUT=${OUT:-$(mktemp -d /tmp/crossover_bench_eval.XXXXXX)}
[ -f "$DATA/meta.json" ] || "$BIN" data prepare --source python-stdlib --tokenizer byte --out "$DATA" >/dev/null
"$BIN" data make-tasks "$DATA" --out "$OUT/nextline.jsonl" --items "$ITEMS" --seed 1 >/dev/null
for kind in ar mdm; do
  "$BIN" train configs/tiny_$kind.yaml --set data.path="$DATA" --set run.dir="$OUT/runs" \
    --set train.total_tokens=20480 --set train.eval_each_epoch=false --set eval.val_tokens=2048 \
    --set runtime.device="$DEVICE" >/dev/null 2>&1
done
run_eval() {  # kind mc label
  "$BIN" eval "$OUT/runs/tiny_$1" --tasks "$OUT/nextline.jsonl" --no-val --mc-samples "$2" \
    --device "$DEVICE" --out "$OUT/$1_$2.json" >/dev/null
  python3 - "$OUT/$1_$2.json" "$3" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
r = j["results"]["nextline"]
print("%-16s %6d %8d %9.2f %12.1f %8.3f" % (sys.argv[2], j["n-samples"]["nextline"]["effective"],
      r["choices_scored"], r["eval_s"], r["choices_scored"] / r["eval_s"], r["acc,none"]))
PYEOF
}
printf "%-16s %6s %8s %9s %12s %8s\n" model items choices seconds "choices/s" acc
run_eval ar 1 "ar (exact)"
run_eval mdm 1 "mdm MC=1"
run_eval mdm 64 "mdm MC=64"
run_eval mdm 128 "mdm MC=128"
echo "(device $DEVICE, $("$BIN" version | sed 's/.*threads: /threads /'), load $(cut -d' ' -f1 /proc/loadavg); files in $OUT)"
