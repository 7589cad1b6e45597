#!/usr/bin/env bash
# update_golden.sh — rewrite tests/fixtures/golden/{ar,mdm}.json (step/loss pairs
# of the tiny golden runs) after an intended change to the model, objective,
# data order or optimizer. Review the diff before committing it.
# Cost: ~10 s. Example: scripts/update_golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target integration_tests >/dev/null
CROSSOVER_UPDATE_GOLDEN=1 build/integration_tests --gtest_filter='TrainerTest.*Golden*'
git diff --stat tests/fixtures/golden || true
