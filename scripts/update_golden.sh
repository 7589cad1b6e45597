#!/usr/bin/env bash
# update_golden.sh — rewrite tests/fixtures/golden/<case>.json (the step/loss
# pairs of tests/reference/golden_ref.py, the independent PyTorch reference)
# after an intended change to that script. crossover's own output never goes
# into these files: tests/train/golden_ref_test.cpp checks crossover against them.
# Review the diff before committing it.
# Cost: ~4 s. Example: scripts/update_golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."
py="${CROSSOVER_PYTHON:-${CROSSOVER_VENV:-$HOME/.cache/crossover/venv}/bin/python}"
[[ -x "$py" ]] || py=python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$py" tests/reference/golden_ref.py --out "$tmp" --json tests/fixtures/golden
git diff --stat tests/fixtures/golden || true
