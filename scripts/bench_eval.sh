#!/usr/bin/env bash
# bench_eval.sh — multiple-choice evaluation cost of `crossover eval`, two modes.
#
# Throughput (default): choices scored per second for an AR model (exact
# log-likelihood) and an MDM (Monte Carlo conditional ELBO, fixed MC=1/64/128
# and adaptive with a 512 cap, eval.task_mc: adaptive), with the forward passes
# (rows) each spent. BIN=other/crossover compares another build (e.g. the commit
# before a change; a build without --task-mc skips the adaptive row). The model
# is tiny_*.yaml's (~0.4M params, T=128) after a few training steps (weights do
# not change the fixed cost; adaptive's depends on how separated the choices
# are); the task is `make-tasks` on the python-stdlib byte dataset (next-line,
# 4 choices). Cost: ~3-8 minutes on 2 CPU cores; prepares data/python-stdlib-byte
# if absent.
#
# Agreement (RUN=dir TASK=file): for a trained MDM run, each setting's per-item
# acc and acc_norm decisions against a fixed-1024-sample reference, with forward
# passes and seconds, for fixed 64/128/256 and adaptive (cap 512, min 32, round
# 16, z 3). The issue-26 table: a mini DLM (figure-8 setting) on the word-order
# task, `crossover data make-tasks DATA --distractors shuffled-words --out
# word_order.jsonl`. Cost: dominated by the reference (1024 samples per choice:
# ~8× fixed-128); hours on 2 cores for 500 items, minutes on a GPU.
#
# Examples: scripts/bench_eval.sh          # or ITEMS=50 DEVICE=cuda scripts/bench_eval.sh
#           RUN=runs/mini_mdm TASK=data/tasks/word_order.jsonl LIMIT=200 scripts/bench_eval.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/crossover}
DEVICE=${DEVICE:-cpu}
OUT=${OUT:-$(mktemp -d /tmp/crossover_bench_eval.XXXXXX)}
mkdir -p "$OUT"
PY=${PY:-python3}

summary() {  # results.json label
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
name = next(iter(j["results"]))
r = j["results"][name]
print("%-22s %6d %8d %9.2f %10.1f %10d %7.3f %8.3f" % (sys.argv[2], j["n-samples"][name]["effective"],
      r["choices_scored"], r["eval_s"], r["choices_scored"] / r["eval_s"],
      r.get("forward_passes,none", -1), r["acc,none"], r.get("mc_at_cap,none", float("nan"))))
PYEOF
}

if [ -n "${RUN:-}" ]; then
  [ -n "${TASK:-}" ] || { echo "bench_eval.sh: RUN needs TASK=task.jsonl" >&2; exit 2; }
  LIMIT=${LIMIT:-0}
  ev() {  # name args...
    local name=$1; shift
    [ -f "$OUT/$name.json" ] || "$BIN" eval "$RUN" --tasks "$TASK" --limit "$LIMIT" --no-val \
      --device "$DEVICE" --out "$OUT/$name.json" "$@" >/dev/null
  }
  ev ref1024 --mc-samples 1024
  for n in 64 128 256; do ev "fixed$n" --mc-samples "$n"; done
  ev adaptive512 --mc-samples 512 --task-mc adaptive --mc-min 32 --mc-round 16 --mc-z 3
  "$PY" - "$OUT" <<'PYEOF'
import json, sys
out = sys.argv[1]
def load(name):
    j = json.load(open(f"{out}/{name}.json"))
    task = next(iter(j["results"]))
    r = j["results"][task]
    items = [json.loads(l) for l in open(r["items_file"])]
    return r, {it["index"]: it for it in items}
ref_r, ref = load("ref1024")
print("%-14s %8s %8s %12s %9s %7s %7s %8s" % ("setting", "agree", "agree_n", "fwd passes", "seconds",
                                              "acc", "acc_n", "at_cap"))
for name in ["fixed64", "fixed128", "fixed256", "adaptive512", "ref1024"]:
    r, it = load(name)
    agree = sum(it[i]["pred"] == ref[i]["pred"] for i in ref) / len(ref)
    agree_n = sum(it[i]["pred_norm"] == ref[i]["pred_norm"] for i in ref) / len(ref)
    print("%-14s %8.3f %8.3f %12d %9.1f %7.3f %7.3f %8.3f" % (name, agree, agree_n,
          r["forward_passes,none"], r["eval_s"], r["acc,none"], r["acc_norm,none"], r["mc_at_cap,none"]))
print(f"({len(ref)} items; reference: fixed 1024 samples; files in {out})")
PYEOF
  exit 0
fi

DATA=${DATA:-data/python-stdlib-byte}
ITEMS=${ITEMS:-40}
[ -f "$DATA/meta.json" ] || "$BIN" data prepare --source python-stdlib --tokenizer byte --out "$DATA" >/dev/null
"$BIN" data make-tasks "$DATA" --out "$OUT/nextline.jsonl" --items "$ITEMS" --seed 1 >/dev/null
for kind in ar mdm; do
  "$BIN" train configs/tiny_$kind.yaml --set data.path="$DATA" --set run.dir="$OUT/runs" \
    --set train.total_tokens=20480 --set train.eval_each_epoch=false --set eval.val_tokens=2048 \
    --set runtime.device="$DEVICE" >/dev/null 2>&1
done
run_eval() {  # kind label args...
  local kind=$1 label=$2; shift 2
  local f="$OUT/${label// /_}.json"
  "$BIN" eval "$OUT/runs/tiny_$kind" --tasks "$OUT/nextline.jsonl" --no-val --device "$DEVICE" \
    --out "$f" "$@" >/dev/null && summary "$f" "$label"
}
printf "%-22s %6s %8s %9s %10s %10s %7s %8s\n" model items choices seconds "choices/s" "fwd passes" acc at_cap
run_eval ar "ar (exact)" --mc-samples 1
run_eval mdm "mdm MC=1" --mc-samples 1
run_eval mdm "mdm MC=64" --mc-samples 64
run_eval mdm "mdm MC=128" --mc-samples 128
run_eval mdm "mdm adaptive cap 512" --mc-samples 512 --task-mc adaptive ||
  echo "(this build has no --task-mc: adaptive skipped)"
echo "(device $DEVICE, $("$BIN" version | sed 's/.*threads: /threads /'), load $(cut -d' ' -f1 /proc/loadavg); files in $OUT)"
