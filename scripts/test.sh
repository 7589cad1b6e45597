#!/usr/bin/env bash
# test.sh — the README's test command: install what is missing, build, run ctest.
# Cost: cold (fresh machine) ~15-25 min, mostly the torch download and the first
# build; warm ~3-5 min. Extra arguments go to ctest, e.g. scripts/test.sh -L unit
# Example: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
# gpu-labelled tests skip themselves when no CUDA device is present.
ctest --output-on-failure -j "${CTEST_JOBS:-2}" --timeout 900 "$@"
