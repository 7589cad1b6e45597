# lib.sh — shared by scripts/figures/fig*.sh (sourced, not run): options, data
# preparation, running a sweep, `crossover report` and the plotter.
#
# Every figure script takes:
#   --scale mini|paper  mini: configs/sweeps/mini (2-core CPU, <= 60 min per figure);
#                       paper: configs/sweeps/paper (the paper's sizes; torchrun/slurm)
#   --dry-run           print the plan and every command; run nothing (needs only the
#                       built binary: no data, no runs)
#   --jobs N --launcher local|torchrun|slurm --nproc N   passed to scripts/sweep.sh
#                       (defaults: mini local/1 process, paper torchrun/8 processes)
#   --out DIR           run folder parent (default runs); figures go to figures/<sweep name>/
#   --set key=value     extra override for every run, e.g. --jobs 2 --set runtime.threads=1
#                       (two single-threaded runs at once use 2 cores better than one
#                       two-threaded run, and never oversubscribe them)
# Environment: CROSSOVER (binary, default build/crossover), CROSSOVER_PYTHON (python with
# matplotlib; default ~/.cache/crossover/venv/bin/python, then python3).
set -euo pipefail
FIG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$FIG_ROOT"
CROSSOVER=${CROSSOVER:-$FIG_ROOT/build/crossover}
if [ -z "${CROSSOVER_PYTHON:-}" ]; then
  CROSSOVER_PYTHON=$HOME/.cache/crossover/venv/bin/python
  [ -x "$CROSSOVER_PYTHON" ] || CROSSOVER_PYTHON=python3
fi

fig_die() { echo "$(basename "$0"): error: $*" >&2; exit 2; }

# Prints a command (shell-quoted) and runs it unless --dry-run.
fig_run() {
  printf '+'; printf ' %q' "$@"; echo
  [ "$FIG_DRY" = 1 ] || "$@"
}

figure_setup() {
  FIG_SCALE="" FIG_DRY=0 FIG_OUT=runs
  FIG_SWEEP_ARGS=()
  FIG_RESULTS_ARGS=()  # extra results_md.py options (e.g. --codegen LABEL=FILE)
  local launcher="" nproc=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --scale) FIG_SCALE=${2:?--scale needs mini or paper}; shift ;;
      --dry-run) FIG_DRY=1 ;;
      --jobs) FIG_SWEEP_ARGS+=(--jobs "${2:?}"); shift ;;
      --set) FIG_SWEEP_ARGS+=(--set "${2:?--set needs key=value}"); shift ;;
      --launcher) launcher=${2:?}; shift ;;
      --nproc) nproc=${2:?}; shift ;;
      --out) FIG_OUT=${2:?}; shift ;;
      -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) fig_die "unknown option '$1' (see --help)" ;;
    esac
    shift
  done
  case "$FIG_SCALE" in
    mini) launcher=${launcher:-local}; nproc=${nproc:-1} ;;
    paper) launcher=${launcher:-torchrun}; nproc=${nproc:-8} ;;
    *) fig_die "--scale mini|paper is required" ;;
  esac
  FIG_SWEEP_ARGS+=(--launcher "$launcher" --nproc "$nproc" --out "$FIG_OUT")
  [ "$FIG_DRY" = 1 ] && FIG_SWEEP_ARGS+=(--dry-run)
  FIG_SWEEPS=$FIG_ROOT/configs/sweeps/$FIG_SCALE
  FIG_START=$(date +%s)
  FIG_COMMAND="scripts/figures/$(basename "$0") --scale $FIG_SCALE"
  [ -x "$CROSSOVER" ] || fig_die "crossover binary '$CROSSOVER' not found; run scripts/build.sh"
  echo "== $(basename "$0" .sh) --scale $FIG_SCALE$([ "$FIG_DRY" = 1 ] && echo ' (dry run)')"
}

# The mini datasets: prepared on first use.
ensure_mini_data() {
  [ "$FIG_SCALE" = mini ] || return 0
  local dir=data/python-stdlib-byte
  if [ -f "$dir/meta.json" ]; then return 0; fi
  fig_run "$CROSSOVER" data prepare --source python-stdlib --tokenizer byte --out "$dir"
}

# Paths a non-dry run needs and cannot make itself: a missing one stops with the hint.
require_paths() {  # hint path...
  local hint=$1; shift
  for p in "$@"; do
    if [ ! -e "$p" ]; then
      if [ "$FIG_DRY" = 1 ]; then
        echo "note: $p is missing ($hint); a real run would stop here"
      else
        fig_die "$p is missing; $hint"
      fi
    fi
  done
}

sweep_name() { sed -n 's/^name:[[:space:]]*//p' "$1" | head -n 1; }

# run_sweep SWEEP.yaml [--set k=v ...] — also on --dry-run, where sweep.sh validates the
# sweep and prints the plan and the training commands.
run_sweep() {
  local sweep=$1; shift
  local cmd=("$FIG_ROOT/scripts/sweep.sh" "$sweep" "${FIG_SWEEP_ARGS[@]}" "$@")
  printf '+'; printf ' %q' "${cmd[@]}"; echo
  "${cmd[@]}"
}

# anneal_branches PARENTS_DIR BRANCHES_DIR KIND FRAC... — AR annealed at its early-stopping
# point: scripts/figures/anneal_ar.py plans one WSD branch per finished parent of
# objective.kind KIND ('' = every parent) and decay fraction, and each is trained with
# `crossover train --branch-from` (the --set overrides of the sweep, e.g. threads, apply).
# Finished branches are skipped; an interrupted one resumes.
anneal_branches() {
  local parents=$1 branches=$2 kind=$3; shift 3
  local sets=() kind_args=()
  [ -n "$kind" ] && kind_args=(--kind "$kind")
  for ((i = 0; i < ${#FIG_SWEEP_ARGS[@]}; i++)); do
    [ "${FIG_SWEEP_ARGS[$i]}" = --set ] && sets+=(--set "${FIG_SWEEP_ARGS[$((i + 1))]}")
  done
  if [ "$FIG_DRY" = 1 ]; then
    echo "+ $CROSSOVER_PYTHON scripts/figures/anneal_ar.py plan $parents --decay-frac $* ${kind_args[*]}"
    echo "+ crossover train <parent>/config.yaml --branch-from <parent>/checkpoints/step_<best> ... (per branch)"
    return 0
  fi
  mkdir -p "$branches"
  "$CROSSOVER_PYTHON" "$FIG_ROOT/scripts/figures/anneal_ar.py" plan "$parents" --decay-frac "$@" \
    "${kind_args[@]}" > "$branches/plan.tsv"
  local name parent ckpt total frac
  while IFS=$'\t' read -r name parent ckpt total frac; do
    [ -f "$branches/$name/summary.json" ] && { echo "[$name] finished"; continue; }
    fig_run "$CROSSOVER" train "$parent/config.yaml" --branch-from "$ckpt" --resume auto \
      --set run.name="$name" --set run.dir="$branches" --set train.total_tokens="$total" \
      --set train.lr_decay_frac="$frac" "${sets[@]}" > "$branches/.$name.console.log" 2>&1 ||
      fig_die "branch $name failed; see $branches/.$name.console.log"
    echo "[$name] done"
  done < "$branches/plan.tsv"
}

# make_report SWEEP.yaml [crossover report options...]; sets FIG_REPORT_DIR
# (figures/<sweep name>, or figures/$FIG_REPORT_NAME when a figure reuses another's runs).
# FIG_EXTRA_RUN_DIRS: more run folders reported with the sweep's (annealed branches);
# make_fit takes the same.
make_report() {
  local sweep=$1; shift
  local name
  name=$(sweep_name "$sweep")
  FIG_REPORT_DIR=figures/${FIG_REPORT_NAME:-$name}
  FIG_RUNS_DIR=$FIG_OUT/$name
  fig_run "$CROSSOVER" report "$FIG_RUNS_DIR" ${FIG_EXTRA_RUN_DIRS:-} --out "$FIG_REPORT_DIR" "$@"
}

# make_fit TITLE [crossover fit options...] — `crossover fit` on the last make_report's runs
# (crossover intervals, data-efficiency factor, scaling laws: docs/fit.md) into the same
# folder, and its plots (scripts/plot_fit.py).
make_fit() {
  local title=$1; shift
  fig_run "$CROSSOVER" fit "$FIG_RUNS_DIR" ${FIG_EXTRA_RUN_DIRS:-} --out "$FIG_REPORT_DIR" "$@"
  if [ "$FIG_DRY" != 1 ]; then
    fig_run "$CROSSOVER_PYTHON" "$FIG_ROOT/scripts/plot_fit.py" "$FIG_REPORT_DIR/fit.json" \
      --title "$title ($FIG_SCALE)"
  fi
}

# plot TITLE [plot.py options...] — plots the last make_report's report.json.
plot() {
  local title=$1; shift
  fig_run "$CROSSOVER_PYTHON" "$FIG_ROOT/scripts/plot.py" "$FIG_REPORT_DIR/report.json" \
    --title "$title ($FIG_SCALE)" "$@"
}

# figure_done TITLE — writes $FIG_REPORT_DIR/RESULTS.md from report.json (crossover table,
# key numbers, plots, wall time of this invocation) and, at mini scale, copies the small
# outputs (RESULTS.md, report.csv/json, PNGs; never runs or checkpoints) to
# docs/results/<report name>/ so they can be committed.
figure_done() {
  local title=${1:-$(basename "$0" .sh)}
  if [ "$FIG_DRY" = 1 ]; then
    echo "== dry run done: nothing was trained, reported or plotted"
    return 0
  fi
  local elapsed=$(( $(date +%s) - FIG_START ))
  fig_run "$CROSSOVER_PYTHON" "$FIG_ROOT/scripts/results_md.py" "$FIG_REPORT_DIR/report.json" \
    --title "$title ($FIG_SCALE)" --elapsed-s "$elapsed" --command "$FIG_COMMAND" "${FIG_RESULTS_ARGS[@]}"
  if [ "$FIG_SCALE" = mini ]; then
    local dest=$FIG_ROOT/docs/results/$(basename "$FIG_REPORT_DIR")
    mkdir -p "$dest"
    cp "$FIG_REPORT_DIR"/RESULTS.md "$FIG_REPORT_DIR"/report.csv "$FIG_REPORT_DIR"/*.json "$dest"/
    cp "$FIG_REPORT_DIR"/fit.csv "$dest"/ 2>/dev/null || true
    cp "$FIG_REPORT_DIR"/*.png "$dest"/ 2>/dev/null || true
    echo "== results copied to ${dest#$FIG_ROOT/}/ (commit them)"
  fi
  echo "== done in $(( elapsed / 60 )) min $(( elapsed % 60 )) s: figures in $FIG_REPORT_DIR/"
}
