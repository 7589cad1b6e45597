#!/usr/bin/env bash
# build.sh — configure and build crossover (Release) into build/.
# Cost: a cold build on 2 cores takes a few minutes (torch headers are
# precompiled once); incremental builds take seconds. Uses ccache when present.
# Example: scripts/build.sh            # or BUILD_DIR=build-dbg BUILD_TYPE=Debug scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-$(nproc)}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$JOBS"
