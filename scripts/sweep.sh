#!/usr/bin/env bash
# sweep.sh — run a sweep file: print the plan, skip finished runs, resume
# interrupted ones (`crossover train ... --resume auto`), and never run two jobs
# in one run directory (`crossover train` itself holds flock on
# <out>/<sweep>/.<run>.lock and exits 75 when another process trains that run).
# Runs go to <out>/<sweep name>/<run name>/ via --set run.dir=... --set run.name=...
# The sweep file's path is recorded in <out>/<sweep>/.sweep_file, so another sweep
# file with the same name but other settings is refused by name (`sweep plan`).
#
# Cost: the sum of the runs' training time divided by --jobs; planning takes
# about a second (every run's config is validated first).
#
# Usage: scripts/sweep.sh SWEEP.yaml [--dry-run] [--jobs N] [--launcher local|torchrun|slurm]
#                         [--nproc N] [--out DIR] [--set key=value ...]
#   --dry-run    print the plan and the command of every unfinished run; run nothing
#   --jobs N     local/torchrun: at most N runs at once (default 1); with N > 1 each run's
#                console output goes to <out>/<sweep>/.<run>.console.log
#   --launcher   local (default): crossover train; torchrun: torchrun --no-python
#                --standalone --nproc-per-node N crossover train; slurm: one sbatch job per
#                run (extra sbatch options from $SBATCH_ARGS), each running torchrun
#   --nproc N    processes (GPUs) per run for torchrun/slurm (default 1)
#   --out DIR    parent of the sweep folder (default runs)
#   --set k=v    extra override for every run (validated with the sweep), e.g. runtime.threads=1
# Environment: CROSSOVER (the binary; default build/crossover), CROSSOVER_TRAIN (the train
#   command, default "$CROSSOVER train"; tests substitute a fake), SBATCH_ARGS.
# Example: scripts/sweep.sh configs/sweeps/mini/fig1_data_budget.yaml --dry-run
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CROSSOVER=${CROSSOVER:-$ROOT/build/crossover}

die() { echo "sweep.sh: error: $*" >&2; exit 2; }

SWEEP="" DRY=0 JOBS=1 LAUNCHER=local NPROC=1 OUT=runs
SETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --jobs) JOBS=${2:?--jobs needs a value}; shift ;;
    --launcher) LAUNCHER=${2:?--launcher needs a value}; shift ;;
    --nproc) NPROC=${2:?--nproc needs a value}; shift ;;
    --out) OUT=${2:?--out needs a value}; shift ;;
    --set) SETS+=(--set "${2:?--set needs key=value}"); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$SWEEP" ] || die "one sweep file at a time (got '$SWEEP' and '$1')"; SWEEP=$1 ;;
  esac
  shift
done
[ -n "$SWEEP" ] || die "usage: scripts/sweep.sh SWEEP.yaml [--dry-run] [--jobs N] [--launcher local|torchrun|slurm] [--nproc N]"
case "$LAUNCHER" in local|torchrun|slurm) ;; *) die "--launcher must be local, torchrun or slurm, not '$LAUNCHER'" ;; esac
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive integer, not '$JOBS'"
[[ "$NPROC" =~ ^[1-9][0-9]*$ ]] || die "--nproc must be a positive integer, not '$NPROC'"
[ -x "$CROSSOVER" ] || die "crossover binary '$CROSSOVER' not found; build it with scripts/build.sh or set CROSSOVER"
read -r -a TRAIN <<< "${CROSSOVER_TRAIN:-$CROSSOVER train}"

# The plan validates every run; a bad sweep stops here with the loader's message.
PLAN=$("$CROSSOVER" sweep plan "$SWEEP" --out "$OUT" --format tsv ${SETS[@]+"${SETS[@]}"})
"$CROSSOVER" sweep plan "$SWEEP" --out "$OUT" ${SETS[@]+"${SETS[@]}"}

# The command for one run: train_command CONFIG KEY=VALUE... -> CMD array.
train_command() {
  local config=$1; shift
  local sets=()
  for kv in "$@"; do sets+=(--set "$kv"); done
  case "$LAUNCHER" in
    local) CMD=("${TRAIN[@]}" "$config" "${sets[@]}" --resume auto) ;;
    torchrun|slurm)
      CMD=(torchrun --no-python --standalone --nproc-per-node "$NPROC" "${TRAIN[@]}" "$config"
           "${sets[@]}" --resume auto) ;;
  esac
}

FAILED=()
LAUNCHED=0
run_one() {  # name status dir lock config sets...
  local name=$1 status=$2 dir=$3 lock=$4 config=$5; shift 5
  train_command "$config" "$@"
  local console=""
  [ "$JOBS" -gt 1 ] && console="$(dirname "$lock")/.$name.console.log"
  if [ "$LAUNCHER" = slurm ]; then
    local wrapped
    wrapped=$(printf '%q ' "${CMD[@]}")
    local sb=(sbatch --parsable --job-name "$(basename "$(dirname "$dir")")/$name" --nodes 1
              --ntasks 1 --gpus-per-node "$NPROC" --output "$(dirname "$lock")/.$name.slurm-%j.out")
    read -r -a extra <<< "${SBATCH_ARGS:-}"
    sb+=(${extra[@]+"${extra[@]}"} --wrap "$wrapped")
    if [ $DRY = 1 ]; then printf '  '; printf '%q ' "${sb[@]}"; echo; return 0; fi
    mkdir -p "$(dirname "$lock")"
    echo "[$name] submitted slurm job $("${sb[@]}")"
    return 0
  fi
  if [ $DRY = 1 ]; then
    printf '  '; printf '%q ' "${CMD[@]}"; echo
    return 0
  fi
  mkdir -p "$(dirname "$lock")"
  echo "[$name] start ($status)$([ -n "$console" ] && echo ", console -> $console")"
  local rc=0
  if [ -n "$console" ]; then
    "${CMD[@]}" > "$console" 2>&1 || rc=$?
  else
    "${CMD[@]}" || rc=$?
  fi
  case $rc in
    0) echo "[$name] done" ;;
    75) echo "[$name] skipped: another process trains it (holds $lock)" ;;
    *) echo "[$name] FAILED (exit $rc)"; return $rc ;;
  esac
}

[ $DRY = 1 ] && echo "dry run: commands of the runs that are not finished:"
if [ $DRY = 0 ]; then  # which sweep file owns <out>/<sweep>/ (crossover sweep plan names it)
  SWEEP_DIR=$(printf '%s\n' "$PLAN" | head -n 1 | cut -f 3)
  if [ -n "$SWEEP_DIR" ]; then
    mkdir -p "$(dirname "$SWEEP_DIR")"
    realpath "$SWEEP" > "$(dirname "$SWEEP_DIR")/.sweep_file"
  fi
fi
FAILFILE=$(mktemp)
trap 'rm -f "$FAILFILE"' EXIT
while IFS=$'\t' read -r -a F; do
  [ ${#F[@]} -ge 5 ] || continue
  name=${F[0]} status=${F[1]}
  case "$status" in
    finished) [ $DRY = 1 ] || echo "[$name] finished: skipped"; continue ;;
    running) echo "[$name] running elsewhere (lock held): skipped"; continue ;;
  esac
  LAUNCHED=$((LAUNCHED + 1))
  if [ $DRY = 1 ] || [ "$LAUNCHER" = slurm ] || [ "$JOBS" = 1 ]; then
    run_one "${F[@]}" || FAILED+=("$name")
    continue
  fi
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  { run_one "${F[@]}" || echo "$name" >> "$FAILFILE"; } &
done <<< "$PLAN"
wait
while read -r name; do FAILED+=("$name"); done < "$FAILFILE"

[ $DRY = 1 ] && { echo "dry run: $LAUNCHED run(s) would be launched"; exit 0; }
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "sweep.sh: ${#FAILED[@]} run(s) failed: ${FAILED[*]}" >&2
  exit 1
fi
echo "sweep.sh: $LAUNCHED run(s) launched, all done"
