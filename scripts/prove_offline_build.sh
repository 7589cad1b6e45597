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
#   - a link check: a small program built through the same CMake configs
#     against every carried library, run with LD_LIBRARY_PATH=.debs/root/...
# Writes $OUT (default /tmp/offline_proof)/proof.txt. Cost: a cold build of
# crossover + gpu_tests (~150 objects, >1 h at -j1 on a shared 2-core machine;
# ccache misses, the headers' paths differ); GPU_CHECK_TARGETS="..." builds a
# subset (the objects that include each package's headers).
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
  while read -r f; do [ -f "$f" ] || continue; mount --bind /dev/null "$f" || exit 3; done <"$OUT/masked_files.txt"
  echo "inside: /usr/include/yaml-cpp/yaml.h has $(wc -c </usr/include/yaml-cpp/yaml.h) bytes," \
       "libyaml-cpp.so.0.7 $(wc -c </usr/lib/x86_64-linux-gnu/libyaml-cpp.so.0.7) bytes," \
       "/usr/local/cuda*/include/nccl.h $(cat /usr/local/cuda*/include/nccl.h 2>/dev/null | wc -c) bytes"
  GPU_CHECK_ONLY=build GPU_CHECK_ALLOW_NO_GPU=1 GPU_CHECK_BUILD_S=${GPU_CHECK_BUILD_S:-7200} \
    GPU_CHECK_BUDGET_S=${GPU_CHECK_BUDGET_S:-7500} scripts/gpu_check.sh
  rc=$?
  echo "gpu_check.sh (build only) exit $rc"
  # Link and run: a small program against every carried library, through the
  # same CMake configs (what crossover and gpu_tests link).
  lc=$OUT/linkcheck
  mkdir -p "$lc/src"
  cat >"$lc/src/CMakeLists.txt" <<CMEOF
cmake_minimum_required(VERSION 3.22)
project(linkcheck CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(GTest REQUIRED)
add_executable(linkcheck main.cpp)
target_link_libraries(linkcheck yaml-cpp spdlog::spdlog nlohmann_json::nlohmann_json CLI11::CLI11
                      GTest::gtest_main \${SENTENCEPIECE_LIBRARY})
target_include_directories(linkcheck PRIVATE \${SENTENCEPIECE_INCLUDE_DIR})
CMEOF
  cat >"$lc/src/main.cpp" <<CPPEOF
#include <CLI/CLI.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>
#include <yaml-cpp/yaml.h>
TEST(LinkCheck, EveryLibraryRuns) {
  EXPECT_EQ(YAML::Load("a: 3")["a"].as<int>(), 3);
  EXPECT_EQ(nlohmann::json::parse("[1,2]").size(), 2u);
  sentencepiece::SentencePieceProcessor sp;
  EXPECT_FALSE(sp.Load("/nonexistent.model").ok());
  EXPECT_NE(XXH64("x", 1, 0), 0u);
  CLI::App app("linkcheck");
  spdlog::info("spdlog {}", "ok");
}
CPPEOF
  R=$PWD/.debs/root/usr
  cmake -S "$lc/src" -B "$lc/build" -G Ninja -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON \
    -Dyaml-cpp_DIR=$R/lib/x86_64-linux-gnu/cmake/yaml-cpp -Dspdlog_DIR=$R/lib/x86_64-linux-gnu/cmake/spdlog \
    -Dfmt_DIR=$R/lib/x86_64-linux-gnu/cmake/fmt -Dnlohmann_json_DIR=$R/share/cmake/nlohmann_json \
    -DCLI11_DIR=$R/share/cmake/CLI11 -DGTest_DIR=$R/lib/x86_64-linux-gnu/cmake/GTest \
    -DSENTENCEPIECE_LIBRARY=$R/lib/x86_64-linux-gnu/libsentencepiece.so -DSENTENCEPIECE_INCLUDE_DIR=$R/include \
    -DCMAKE_CXX_FLAGS="-isystem $R/include -DXXH_INLINE_ALL" >"$lc/configure.log" 2>&1 &&
    cmake --build "$lc/build" >"$lc/build.log" 2>&1 &&
    LD_LIBRARY_PATH=$R/lib/x86_64-linux-gnu "$lc/build/linkcheck" >"$lc/run.log" 2>&1
  echo "link check (yaml-cpp, spdlog+fmt, nlohmann, CLI11, gtest, sentencepiece, xxhash from .debs): exit $?"
  ninja -C "$lc/build" -t deps >"$OUT/linkcheck_deps.txt"
  # Dependencies as the compiler saw them (inside, where masked paths are empty).
  ninja -C "$GPU_CHECK_BUILD_DIR" -t deps >"$OUT/ninja_deps.txt"
  [ -x "$GPU_CHECK_BUILD_DIR/crossover" ] &&
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
  # ninja records headers under the repo relative to the build dir (../.debs/...).
  deps=$(cat "$OUT/ninja_deps.txt" "$OUT/linkcheck_deps.txt" | grep -E '^ +[./]' | sed 's/^ *//' |
         sed "s#^\.\./#$REPO/#" | sort -u)
  echo "distinct headers: $(echo "$deps" | wc -l)"
  from_masked=$(comm -12 <(echo "$deps" | xargs -r readlink -f | sort -u) "$masks")
  echo "headers from a masked path: $(echo -n "$from_masked" | grep -c . )"
  for h in yaml-cpp/yaml.h spdlog/spdlog.h nlohmann/json.hpp CLI/CLI.hpp gtest/gtest.h \
           gloo/algorithm.h xxhash.h sentencepiece_processor.h nccl.h; do
    echo "$h <- $(echo "$deps" | grep -E "/$h\$" | head -n 1)"
  done
  echo "## objects compiled inside: $(grep -cE '^CMakeFiles.*\.o:' "$OUT/ninja_deps.txt")"
  echo "## link check"
  grep -E 'link check' "$OUT/namespace.log"
  tail -n 3 "$OUT/linkcheck/run.log"
  echo "## ldd build-offline/crossover (when GPU_CHECK_TARGETS built it)"
  grep -E 'yaml|spdlog|fmt|sentencepiece|not found' "$OUT/ldd.txt"
} >"$OUT/proof.txt"
cat "$OUT/proof.txt"
exit "$rc"
