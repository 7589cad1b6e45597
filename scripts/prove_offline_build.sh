#!/usr/bin/env bash
# prove_offline_build.sh — shows that scripts/gpu_check.sh builds from the
# carried .debs/ alone, on a machine (this one) that has the same Debian
# packages installed: inside a private mount namespace (unshare -m; needs root
# or user namespaces) every file of those packages, pkg-config, and every
# nccl.h outside the torch wheel are covered by an empty file (/dev/null), so
# any use of them breaks the build. Then runs gpu_check.sh's preflight and
# build (GPU_CHECK_ONLY=build, GPU_CHECK_ALLOW_NO_GPU=1) and checks the result:
#   - CMakeCache: every package's *_DIR and SentencePiece point into .debs/root;
#   - ninja's dependency log: no header of the compiled objects comes from a
#     masked path, and yaml-cpp/spdlog/nlohmann/CLI11/gtest/gloo/xxhash/
#     sentencepiece headers come from .debs/root, nccl.h from the wheel;
#   - ldd: the binary resolves yaml-cpp/spdlog/fmt/sentencepiece in .debs/root.
# Writes $OUT (default /tmp/offline_proof)/proof.txt. Cost: a cold build of
# crossover + gpu_tests (~150 objects; ~25 min at -j1 on 2 cores, ccache helps
# only objects that include no package header).
# Example: scripts/fetch_gpu_debs.sh && GPU_CHECK_JOBS=1 nice scripts/prove_offline_build.sh
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
export OUT=${OUT:-/tmp/offline_proof}
export GPU_CHECK_BUILD_DIR=${GPU_CHECK_BUILD_DIR:-$REPO/build-offline}
mkdir -p "$OUT"
PKGS=(libyaml-cpp-dev libyaml-cpp0.7 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libgtest-dev
  libgmock-dev googletest nlohmann-json3-dev libsentencepiece-dev libsentencepiece0 libgloo-dev
  libxxhash-dev libxxhash0 libcli11-dev pkg-config pkgconf pkgconf-bin)
masks=$OUT/masked_files.txt
: >"$masks"
for p in "${PKGS[@]}"; do
  dpkg -L "$p" 2>/dev/null | while read -r f; do
    [ -f "$f" ] && [ ! -L "$f" ] && echo "$f"
    [ -L "$f" ] && [ -e "$f" ] && readlink -f "$f"
  done >>"$masks"
done
# nccl.h anywhere but the wheel (CUDA toolkit copies, /usr/local/include).
find /usr /opt -name nccl.h -not -path '*site-packages*' 2>/dev/null | xargs -r readlink -f >>"$masks"
sort -u -o "$masks" "$masks"
echo "masking $(wc -l <"$masks") files of ${#PKGS[@]} packages + nccl.h copies (list: $masks)"

# Inside the namespace: cover each file, show it, build.
unshare --mount --propagation private bash -c '
  set -u
  while read -r f; do mount --bind /dev/null "$f" || exit 3; done <"$OUT/masked_files.txt"
  echo "inside: /usr/include/yaml-cpp/yaml.h has $(wc -c </usr/include/yaml-cpp/yaml.h) bytes," \
       "libyaml-cpp.so.0.7 $(wc -c </usr/lib/x86_64-linux-gnu/libyaml-cpp.so.0.7) bytes," \
       "/usr/local/cuda*/include/nccl.h $(cat /usr/local/cuda*/include/nccl.h 2>/dev/null | wc -c) bytes"
  GPU_CHECK_ONLY=build GPU_CHECK_ALLOW_NO_GPU=1 GPU_CHECK_BUILD_S=${GPU_CHECK_BUILD_S:-7200} \
    GPU_CHECK_BUDGET_S=${GPU_CHECK_BUDGET_S:-7500} scripts/gpu_check.sh
  rc=$?
  echo "gpu_check.sh (build only) exit $rc"
  # Dependencies as the compiler saw them (inside, where masked paths are empty).
  ninja -C "$GPU_CHECK_BUILD_DIR" -t deps >"$OUT/ninja_deps.txt"
  LD_LIBRARY_PATH=$PWD/.debs/root/usr/lib/x86_64-linux-gnu ldd "$GPU_CHECK_BUILD_DIR/crossover" >"$OUT/ldd.txt"
  exit $rc
' 2>&1 | tee "$OUT/namespace.log"
rc=${PIPESTATUS[0]}

{
  echo "# offline build proof $(date -u +%FT%TZ)"
  echo "build inside the masked namespace: exit $rc"
  echo "## CMakeCache"
  grep -E '^(yaml-cpp|spdlog|fmt|nlohmann_json|CLI11|GTest)_DIR|^SENTENCEPIECE_(LIBRARY|INCLUDE_DIR)|^CROSSOVER_NCCL' \
    "$GPU_CHECK_BUILD_DIR/CMakeCache.txt"
  echo "## headers of compiled objects (ninja -t deps)"
  deps=$(grep -E '^ +/' "$OUT/ninja_deps.txt" | sed 's/^ *//' | sort -u)
  echo "distinct headers: $(echo "$deps" | wc -l)"
  from_masked=$(comm -12 <(echo "$deps" | xargs -r readlink -f | sort -u) "$masks")
  echo "headers from a masked path: $(echo -n "$from_masked" | grep -c . )"
  for h in yaml-cpp/yaml.h spdlog/spdlog.h nlohmann/json.hpp CLI/CLI.hpp gtest/gtest.h \
           gloo/config.h xxhash.h sentencepiece_processor.h nccl.h; do
    echo "$h <- $(echo "$deps" | grep -E "/$h\$" | head -n 1)"
  done
  echo "## ldd build-offline/crossover"
  grep -E 'yaml|spdlog|fmt|sentencepiece|not found' "$OUT/ldd.txt"
} >"$OUT/proof.txt"
cat "$OUT/proof.txt"
exit "$rc"
