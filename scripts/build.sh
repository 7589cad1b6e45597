#!/usr/bin/env bash
# build.sh — configure and build crossover (Release) into build/.
# Cost: a cold build on 2 cores (empty ccache) takes ~2.5 min for the crossover binary alone
# (TARGETS=crossover, 25 steps) and ~2 min more for the test binaries (20 steps): the torch
# headers are precompiled first and sources compile 8 to an object (CMake's unity build,
# CMAKE_ARGS=-DCROSSOVER_UNITY=OFF for one object per source); an edit recompiles its batch
# (~30-60 s). Uses ccache when present.
# Progress: one line per step, "[23/127, 212s, ~9 min left] Building ...": steps
# done / total, seconds so far, and the time left at the average pace so far
# (on a terminal, ninja's own one-line status instead).
# TARGETS="crossover" builds only those targets (scripts/demo.sh: the binary, not the
# ~40 test binaries); default: everything.
# Example: scripts/build.sh            # or BUILD_DIR=build-dbg BUILD_TYPE=Debug scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-$(nproc)}
TARGET_ARGS=()
for t in ${TARGETS:-}; do TARGET_ARGS+=(--target "$t"); done
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # Measured on a fresh 2-core machine (2026-12-03, unity build): the binary 25 steps in 145 s, the tests 20 more in 118 s.
  echo "build: configuring $BUILD_DIR ($BUILD_TYPE); a cold build on 2 cores is ~2.5 min for the binary, ~4.5 min with the tests"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${CMAKE_ARGS:-} >/dev/null
fi
export NINJA_STATUS="[%f/%t, %es] "
if [ -t 1 ]; then
  exec cmake --build "$BUILD_DIR" -j "$JOBS" "${TARGET_ARGS[@]}"
fi
# Not a terminal (demo.sh, CI, a log): add the time left to each step line.
cmake --build "$BUILD_DIR" -j "$JOBS" "${TARGET_ARGS[@]}" | while IFS= read -r line; do
  if [[ $line =~ ^\[([0-9]+)/([0-9]+),\ ([0-9]+)\.[0-9]*s\]\ (.*)$ ]]; then
    done_=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]} secs=${BASH_REMATCH[3]}
    left=$(( done_ > 0 ? secs * (total - done_) / done_ : 0 ))
    echo "[$done_/$total, ${secs}s, ~$(( (left + 59) / 60 )) min left] ${BASH_REMATCH[4]}"
  else
    echo "$line"
  fi
done
