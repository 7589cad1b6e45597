#!/usr/bin/env bash
# gpu_check.sh — the one prepared command for a lent GPU machine (H100/H200,
# torch 2.11 + CUDA preinstalled, nvcc, cmake, ninja; no network, no apt):
#   1 preflight  checks every precondition and prints each one that is missing
#   2 build      unpacks the carried .debs/ (scripts/fetch_gpu_debs.sh; Python
#                unpacks them, no dpkg) and builds only `crossover` and
#                `gpu_tests` with all cores against them and this machine's torch
#   3 ctest      ctest -L gpu
#   4 bench      AR and MDM on configs/bench_125m.yaml (T=1024): tokens/s, MFU,
#                peak memory against `crossover plan`, activation checkpointing
#                none/blocks x precision bf16/fp32
#   5 nccl       with >= 2 GPUs: dist-check and a 2-process NCCL train per dist.shard
#   6 profile    if nsys exists: a few bench steps, the kernel summary
# Every part is time-boxed (the whole run <= GPU_CHECK_BUDGET_S, default 570 s)
# and logs to $OUT/<part>.log; $OUT/summary.md collects the numbers
# (docs/gpu.md explains them). A part that fails or runs out of time is
# reported and the next one still runs. Exit: 0 all ran and passed, 1 a part
# failed, 2 a precondition is missing (nothing was built).
# GPU_CHECK_ONLY=preflight|build stops after that part (to test the script on a
# machine without a GPU: preflight then reports the GPU as missing, and the
# build still runs with GPU_CHECK_ALLOW_NO_GPU=1; scripts/prove_offline_build.sh
# runs the build with the system's copies of the packages masked).
# Knobs: GPU_CHECK_BUDGET_S, GPU_CHECK_BUILD_S (build time box, 300),
# GPU_CHECK_JOBS (default all cores), GPU_CHECK_TARGETS (default "crossover
# gpu_tests"), GPU_CHECK_BUILD_DIR, GPU_CHECK_DEB_ROOT, BENCH_STEPS, PY.
# Cost: ~2-3 min build on 16 cores, ~4 min of runs; ~3 GB in build-gpu/.
# Example (device tool): run(command="OUT=$OUT scripts/gpu_check.sh", carry=[".debs"])
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=${OUT:-$REPO/gpu_check_out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu_check.log") 2>&1
BUDGET=${GPU_CHECK_BUDGET_S:-570}
START=$(date +%s)
PY=${PY:-python3}
BUILD=${GPU_CHECK_BUILD_DIR:-$REPO/build-gpu}
ROOT=${GPU_CHECK_DEB_ROOT:-$REPO/.debs/root}
SUMMARY=$OUT/summary.md
DEBS=(libyaml-cpp-dev libyaml-cpp0.7 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
  libgtest-dev nlohmann-json3-dev libsentencepiece-dev libsentencepiece0 libgloo-dev
  libxxhash-dev libcli11-dev)
failed=0

elapsed() { echo $(( $(date +%s) - START )); }
note() { echo "$*" | tee -a "$SUMMARY"; }
# part NAME LIMIT_S CMD...: runs CMD with at most LIMIT_S seconds (less when
# the budget is nearly spent; skipped below 15 s), output to $OUT/NAME.log.
part() {
  local name=$1 limit=$2
  shift 2
  local left=$(( BUDGET - $(elapsed) ))
  (( limit > left )) && limit=$left
  if (( limit < 15 )); then
    note "- $name: SKIPPED (budget spent at $(elapsed) s)"
    failed=1
    return 1
  fi
  local t0=$(date +%s)
  # bash -c: NAME may be one of this script's (exported) functions.
  timeout -k 5 "$limit" bash -c '"$@"' "$name" "$@" >"$OUT/$name.log" 2>&1
  local rc=$? dt=$(( $(date +%s) - t0 ))
  if (( rc == 0 )); then
    note "- $name: ok (${dt} s)"
  elif (( rc == 124 || rc == 137 )); then
    note "- $name: TIMED OUT after ${limit} s (tail of $OUT/$name.log below)"
    tail -n 5 "$OUT/$name.log"
    failed=1
  else
    note "- $name: FAILED rc=$rc (${dt} s; tail of $OUT/$name.log below)"
    tail -n 15 "$OUT/$name.log"
    failed=1
  fi
  return $rc
}

: >"$SUMMARY"
note "# gpu_check $(date -u +%FT%TZ) on $(hostname)"

# ---- 1 preflight ------------------------------------------------------------
missing=()
for tool in cmake ninja timeout "$PY"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("command '$tool' (not on PATH)")
done
CXX_BIN=${CXX:-$(command -v c++ || command -v g++ || true)}
[ -n "$CXX_BIN" ] || missing+=("a C++17 compiler (c++/g++ on PATH, or CXX=)")
if command -v cmake >/dev/null 2>&1; then
  cv=$(cmake --version | head -n 1 | grep -oE '[0-9]+\.[0-9]+' | head -n 1)
  "$PY" -c "import sys; sys.exit(tuple(map(int,'$cv'.split('.'))) < (3,22))" 2>/dev/null ||
    missing+=("cmake >= 3.22 (found $cv)")
fi
for d in "${DEBS[@]}"; do
  compgen -G ".debs/${d}_*.deb" >/dev/null || missing+=(".debs/${d}_*.deb")
done
TORCH_INFO=$("$PY" - <<'PYEOF' 2>/dev/null
import os, torch
try:
    import nvidia.nccl as n
    nccl = os.path.join(list(n.__path__)[0], "include")
    nccl = nccl if os.path.exists(os.path.join(nccl, "nccl.h")) else ""
except Exception:
    nccl = ""
print(torch.__version__, torch.version.cuda, torch.cuda.is_available(),
      torch.cuda.device_count(), torch.utils.cmake_prefix_path, nccl or "-")
PYEOF
)
if [ -z "$TORCH_INFO" ]; then
  missing+=("torch importable by $PY (hint: PY=/path/to/python)")
else
  read -r TORCH_VER TORCH_CUDA CUDA_OK NGPU TORCH_PREFIX NCCL_INC <<<"$TORCH_INFO"
  note "- torch $TORCH_VER (CUDA $TORCH_CUDA), CUDA available: $CUDA_OK, GPUs: $NGPU"
  [ "$TORCH_CUDA" != None ] || missing+=("a CUDA build of torch (torch.version.cuda is None)")
  [ "$NCCL_INC" != - ] || missing+=("nccl.h of the wheel's nvidia-nccl package (site-packages/nvidia/nccl/include)")
  if [ "$CUDA_OK" != True ] && [ "${GPU_CHECK_ALLOW_NO_GPU:-0}" != 1 ]; then
    missing+=("a visible CUDA GPU (torch.cuda.is_available() is False; GPU_CHECK_ALLOW_NO_GPU=1 builds anyway)")
  fi
fi
NVCC=${CUDACXX:-$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)}
[ -n "$NVCC" ] || missing+=("nvcc (torch's CMake config needs the CUDA toolkit; CUDACXX= or PATH)")
free_kb=$(df -Pk "$REPO" | awk 'NR==2 {print $4}')
(( free_kb > 4 * 1024 * 1024 )) || missing+=("4 GB free disk in $REPO (have $(( free_kb / 1024 )) MB)")
if (( ${#missing[@]} > 0 )); then
  note "- preflight: MISSING ${#missing[@]}:"
  for m in "${missing[@]}"; do note "    - $m"; done
  [[ " ${missing[*]}" == *" .debs/"* ]] &&
    note "  hint: run scripts/fetch_gpu_debs.sh on a networked machine and carry .debs/ (carry: [\".debs\"])"
  exit 2
fi
command -v nvidia-smi >/dev/null 2>&1 &&
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/- gpu: /' | tee -a "$SUMMARY"
note "- preflight: ok ($(nproc) cores, nvcc $NVCC, nccl.h from $NCCL_INC, $(( free_kb / 1048576 )) GB free)"
[ "${GPU_CHECK_ONLY:-}" = preflight ] && exit 0

# ---- 2 build ----------------------------------------------------------------
unpack_debs() {  # .deb = ar archive holding data.tar.{xz,zst,gz}; Python reads it, no dpkg
  "$PY" - "$ROOT" .debs/*.deb <<'PYEOF'
import io, lzma, os, sys, tarfile
root, debs = sys.argv[1], sys.argv[2:]
os.makedirs(root, exist_ok=True)
for deb in debs:
    data = open(deb, "rb").read()
    assert data[:8] == b"!<arch>\n", deb
    pos = 8
    while pos < len(data):
        name = data[pos:pos + 16].decode().strip().rstrip("/")
        size = int(data[pos + 48:pos + 58])
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name.startswith("data.tar"):
            if name.endswith(".zst"):
                sys.exit(f"{deb}: zstd-compressed data (Debian 12 uses xz); re-fetch with scripts/fetch_gpu_debs.sh")
            with tarfile.open(fileobj=io.BytesIO(body)) as t:
                t.extractall(root, filter="tar") if hasattr(tarfile, "data_filter") else t.extractall(root)
print(f"unpacked {len(debs)} packages into {root}")
PYEOF
}
LIBDIR=$ROOT/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# Headers found by no CMake package (gloo for torch's ProcessGroupGloo.hpp, xxhash.h).
export CPATH=$ROOT/usr/include${CPATH:+:$CPATH}
configure_and_build() {
  unpack_debs || return 1
  # The carried shared libraries must load here (a newer glibc than this machine's shows now).
  "$PY" -c "import ctypes, sys; [ctypes.CDLL(sys.argv[1] + '/' + l) for l in sys.argv[2:]]" "$LIBDIR" \
    libfmt.so.9 libspdlog.so.1.10 libyaml-cpp.so.0.7 libsentencepiece.so.0 || return 1
  # Each package's CMake config named explicitly (no reliance on this
  # machine's multiarch search paths), SentencePiece without pkg-config.
  local dirs=() pkg file
  for pkg in yaml-cpp:yaml-cpp-config.cmake spdlog:spdlogConfig.cmake fmt:fmt-config.cmake \
             nlohmann_json:nlohmann_jsonConfig.cmake CLI11:CLI11Config.cmake GTest:GTestConfig.cmake; do
    file=$(find "$ROOT/usr" -name "${pkg#*:}" -print -quit)
    [ -n "$file" ] || { echo "no ${pkg#*:} under $ROOT"; return 1; }
    dirs+=("-D${pkg%%:*}_DIR=$(dirname "$file")")
  done
  cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${dirs[@]}" \
    -DSENTENCEPIECE_INCLUDE_DIR="$ROOT/usr/include" -DSENTENCEPIECE_LIBRARY="$LIBDIR/libsentencepiece.so" \
    -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON \
    -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" -DCROSSOVER_PYTHON="$(command -v "$PY")" \
    -DCROSSOVER_NCCL_INCLUDE_DIR="$NCCL_INC" -DCMAKE_CUDA_COMPILER="$NVCC" \
    -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" || return 1
  # Every package from the carried root, nothing from the system's /usr.
  grep -E '^(yaml-cpp|spdlog|fmt|nlohmann_json|CLI11|GTest)_DIR|^SENTENCEPIECE_(LIBRARY|INCLUDE_DIR)' \
    "$BUILD/CMakeCache.txt"
  # shellcheck disable=SC2086  # GPU_CHECK_TARGETS is a list
  cmake --build "$BUILD" -j "$GPU_CHECK_JOBS" --target $GPU_CHECK_TARGETS
}
export -f unpack_debs configure_and_build
GPU_CHECK_JOBS=${GPU_CHECK_JOBS:-$(nproc)}
GPU_CHECK_TARGETS=${GPU_CHECK_TARGETS:-crossover gpu_tests}
export OUT PY ROOT LIBDIR BUILD REPO TORCH_PREFIX NCCL_INC NVCC GPU_CHECK_JOBS GPU_CHECK_TARGETS
part build "${GPU_CHECK_BUILD_S:-300}" configure_and_build || { note "- build failed: nothing to run"; exit 1; }
grep -E '_DIR:|SENTENCEPIECE' "$OUT/build.log" | sed 's/^/    /' >>"$SUMMARY"
CROSSOVER=$BUILD/crossover
[ "${GPU_CHECK_ONLY:-}" = build ] && exit $failed
"$CROSSOVER" version | sed 's/^/- /' | tee -a "$SUMMARY"

# ---- 3 ctest -L gpu ---------------------------------------------------------
part ctest_gpu 90 ctest --test-dir "$BUILD" -L gpu --output-on-failure --timeout 60
grep -E 'tests passed|tests failed|Failed|\*\*\*' "$OUT/ctest_gpu.log" | sed 's/^/    /' | tee -a "$SUMMARY"

# ---- 4 bench: tokens/s, MFU, peak memory vs the planner ---------------------
GPU_KIND=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 |
  tr 'A-Z' 'a-z' | grep -oE 'h100|h200|a100' | head -n 1)
GPU_KIND=${GPU_KIND:-h100}
note ""
note "| objective | precision | checkpointing | tokens/s | MFU | peak MiB | planned MiB | plan error |"
note "|---|---|---|---|---|---|---|---|"
bench_one() {  # kind precision ckpt
  local sets=(--set objective.kind=$1 --set runtime.precision=$2 --set model.activation_checkpointing=$3)
  "$CROSSOVER" bench configs/bench_125m.yaml "${sets[@]}" --steps "${BENCH_STEPS:-8}" --warmup 3 --json \
    >"$OUT/bench_$1_$2_$3.json" || return 1
  "$CROSSOVER" plan configs/bench_125m.yaml "${sets[@]}" --gpus 1 --gpu "$GPU_KIND" --json \
    >"$OUT/plan_$1_$2_$3.json" || return 1
}
export -f bench_one
export CROSSOVER GPU_KIND
for prec in bf16 fp32; do
  for ckpt in none blocks; do
    for kind in ar mdm; do
      tag=${kind}_${prec}_${ckpt}
      part "bench_$tag" 75 bench_one "$kind" "$prec" "$ckpt" || continue
      "$PY" - "$OUT/bench_$tag.json" "$OUT/plan_$tag.json" "$kind" "$prec" "$ckpt" <<'PYEOF' | tee -a "$SUMMARY"
import json, sys
b, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
kind, prec, ckpt = sys.argv[3:6]
planned = "-"
try:  # the planner's no-sharding entry for this checkpointing, less its fixed runtime term
    m = p["memory"]["none"][ckpt]
    planned = (m["total"] - m.get("runtime", 0)) / 2**20
except (KeyError, TypeError):
    pass
err = f"{100 * (planned - b['peak_mem_mb']) / b['peak_mem_mb']:+.1f}%" if planned != "-" else "-"
pl = f"{planned:.0f}" if planned != "-" else "-"
print(f"| {kind} | {prec} | {ckpt} | {b['tokens_per_s']:.0f} | {100 * b['mfu']:.1f}% | "
      f"{b['peak_mem_mb']:.0f} | {pl} | {err} |")
PYEOF
    done
  done
done
note ""

# ---- 5 NCCL with 2 processes --------------------------------------------------
if (( NGPU >= 2 )); then
  DATA=$OUT/tmp_data
  RUNS=$OUT/tmp_runs
  part nccl_dist_check 60 scripts/launch.sh --nproc_per_node 2 -- "$CROSSOVER" dist-check \
    --set runtime.device=cuda --set dist.backend=nccl
  grep -h 'dist-check ok' "$OUT/nccl_dist_check.log" | sed 's/^/    /' | tee -a "$SUMMARY"
  part data_prepare 30 "$CROSSOVER" data prepare --source "$REPO/src" --tokenizer byte --out "$DATA" --force
  for shard in none optimizer gradients; do
    part "nccl_train_$shard" 60 scripts/launch.sh --nproc_per_node 2 -- "$CROSSOVER" train \
      configs/tiny_mdm.yaml --set data.path="$DATA" --set data.unique_tokens=0 \
      --set runtime.device=cuda --set dist.backend=nccl --set dist.shard=$shard \
      --set run.dir="$RUNS" --set run.name=nccl_$shard --set train.total_tokens=200000 --overwrite &&
      tail -n 1 "$RUNS/nccl_$shard/metrics.jsonl" | sed "s/^/    $shard: /" | tee -a "$SUMMARY"
  done
  rm -rf "$DATA" "$RUNS"
else
  note "- nccl: skipped (1 GPU; the 2-process NCCL train needs 2)"
fi

# ---- 6 profile ----------------------------------------------------------------
if command -v nsys >/dev/null 2>&1; then
  part profile_ar 90 nsys profile --force-overwrite true -o "$OUT/profile_ar_bf16" --trace cuda \
    "$CROSSOVER" bench configs/bench_125m.yaml --steps 3 --warmup 2
  part profile_stats 45 nsys stats --report cuda_gpu_kern_sum --format csv \
    --output "$OUT/profile_ar_bf16" "$OUT/profile_ar_bf16.nsys-rep"
  rm -f "$OUT/profile_ar_bf16.sqlite"
  # The kernels by time: what the roofline in docs/gpu.md predicts.
  ls "$OUT"/profile_ar_bf16*cuda_gpu_kern_sum*.csv >/dev/null 2>&1 &&
    head -n 16 "$OUT"/profile_ar_bf16*cuda_gpu_kern_sum*.csv | cut -c 1-200 >"$OUT/top_kernels.csv"
else
  note "- profile: skipped (no nsys on PATH)"
fi

note "- total $(elapsed) s of budget ${BUDGET} s; $( ((failed)) && echo 'SOME PARTS FAILED' || echo 'all parts ok')"
exit $failed
