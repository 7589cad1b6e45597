#!/usr/bin/env bash
# fetch_gpu_debs.sh — download (not install) the Debian 12 packages crossover
# builds against into .debs/ (git-ignored), for a GPU machine that has torch, a
# compiler, cmake and ninja but no network and no apt: scripts/gpu_check.sh
# unpacks them there (with Python, no dpkg needed) and builds from them alone.
# Carry .debs/ to that machine (the device tool's `carry: [".debs"]`).
# The list is exactly what CMakeLists.txt finds plus the headers torch's own
# headers include (gloo) and ours include (xxhash); no pkg-config (CMake finds
# SentencePiece without it). Cost: ~2.4 MB, seconds.
# Example: scripts/fetch_gpu_debs.sh && ls .debs
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(libyaml-cpp-dev libyaml-cpp0.7 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
  libgtest-dev nlohmann-json3-dev libsentencepiece-dev libsentencepiece0 libgloo-dev
  libxxhash-dev libcli11-dev)
mkdir -p .debs
apt-get update -qq
# apt's sandbox user cannot write into a root-owned work tree: download in a temp dir.
tmp=$(mktemp -d)
chmod 777 "$tmp"
(cd "$tmp" && apt-get download "${PACKAGES[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' | tail -n 2)
mv "$tmp"/*.deb .debs/
rmdir "$tmp"
n=$(ls .debs/*.deb | wc -l)
echo "fetch_gpu_debs: ${n} packages in .debs/ ($(du -sh .debs | cut -f1)); gpu_check.sh needs these ${#PACKAGES[@]}: ${PACKAGES[*]}"
