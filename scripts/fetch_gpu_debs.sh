#!/usr/bin/env bash
# fetch_gpu_debs.sh — download (not install) the Debian packages crossover
# builds against into .debs/ (git-ignored), for a GPU machine that has torch and
# a compiler but no network: scripts/gpu_check.sh unpacks them there.
# Cost: a few MB, seconds. Example: scripts/fetch_gpu_debs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .debs
apt-get update -qq
(cd .debs && apt-get download libyaml-cpp-dev libyaml-cpp0.7 libspdlog-dev libspdlog1.10 \
  libfmt-dev libfmt9 libgtest-dev googletest nlohmann-json3-dev libsentencepiece-dev \
  libsentencepiece0 libgloo-dev libprotobuf32 libabsl20220623 libxxhash-dev libcli11-dev 2>&1 | tail -n 2)
ls .debs
