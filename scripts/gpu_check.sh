#!/usr/bin/env bash
# gpu_check.sh — one prepared command for a GPU machine with torch 2.11 (CUDA)
# preinstalled and no network: unpacks the Debian packages brought along in
# .debs/ (scripts/fetch_gpu_debs.sh), builds against that machine's torch, runs
# the `gpu`-labelled tests (CUDA vs CPU fp32 parity, a bf16 autocast step), a
# world-size-1 NCCL training run with each dist.shard setting, the train-step
# benchmark of a ~125M model at T=1024 for AR and MDM (tokens/s, MFU), and the
# planner's memory prediction against the CUDA allocator's peak with activation
# checkpointing off and on. Numbers go to docs/bench_gpu.md by hand.
# Cost: ~6-9 min on a 16-core H100/H200 host (most of it the build).
# Example: scripts/gpu_check.sh 2>&1 | tee $OUT/gpu_check.log
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD/.debs/root
mkdir -p "$ROOT"
for f in .debs/*.deb; do dpkg -x "$f" "$ROOT"; done
PY=${PY:-python3}
TORCH_PREFIX=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')
export PKG_CONFIG_SYSROOT_DIR=$ROOT
export PKG_CONFIG_PATH=$ROOT/usr/lib/x86_64-linux-gnu/pkgconfig:$ROOT/usr/share/pkgconfig
export LD_LIBRARY_PATH=$ROOT/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export CPATH=$ROOT/usr/include:${CPATH:-}
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCROSSOVER_PYTHON="$(command -v "$PY")" \
  -DCMAKE_PREFIX_PATH="$ROOT/usr;$TORCH_PREFIX" -DTORCH_CUDA_ARCH_LIST=9.0 >/dev/null
cmake --build build-gpu -j "$(nproc)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
build-gpu/crossover --version
(cd build-gpu && ctest -L gpu --output-on-failure)
# World size 1 through c10d with NCCL and bf16 on random tokens (bench) and a real run.
for kind in ar mdm; do
  build-gpu/crossover bench configs/bench_125m.yaml --set objective.kind=$kind --steps 10 --warmup 3
done
build-gpu/crossover data prepare --source "${GPU_CHECK_CORPUS:-$PWD/src}" --tokenizer byte --out /tmp/gpu_data --force
for shard in none optimizer gradients; do
  scripts/launch.sh --nproc_per_node 1 -- build-gpu/crossover train configs/tiny_mdm.yaml \
    --set data.path=/tmp/gpu_data --set data.unique_tokens=0 --set runtime.device=cuda \
    --set dist.backend=nccl --set dist.shard=$shard --set run.dir=/tmp/gpu_runs \
    --set run.name=nccl_$shard --set train.total_tokens=400000 --overwrite
  tail -n 1 /tmp/gpu_runs/nccl_$shard/metrics.jsonl
done
# Planner vs measured: the CUDA caching allocator's peak (bench's peak_mem_mb) against the
# plan's weights + gradients + AdamW + activations (its 1 GiB runtime term is outside the allocator).
GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1 | tr 'A-Z' 'a-z' | grep -oE 'h100|h200|a100' || echo h100)
for ckpt in none blocks; do
  bench=$(build-gpu/crossover bench configs/bench_125m.yaml --set model.activation_checkpointing=$ckpt --steps 3 --warmup 1 --json)
  plan=$(build-gpu/crossover plan configs/bench_125m.yaml --set model.activation_checkpointing=$ckpt --gpus 1 --gpu "$GPU_NAME" --json)
  "$PY" - "$ckpt" "$bench" "$plan" <<'PYEOF'
import json, sys
ckpt, b, p = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
m = p["memory"]["none"][ckpt]
planned = (m["total"] - m["runtime"]) / 2**20
print(f"memory bench_125m ckpt={ckpt}: measured {b['peak_mem_mb']:.0f} MB, planned {planned:.0f} MB, "
      f"error {100 * (planned - b['peak_mem_mb']) / b['peak_mem_mb']:+.1f}%; {b['tokens_per_s']:.0f} tok/s, MFU {100 * b['mfu']:.1f}%")
PYEOF
done
