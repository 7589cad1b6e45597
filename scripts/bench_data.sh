#!/usr/bin/env bash
# bench_data.sh — data pipeline throughput on the built-in python-stdlib corpus:
# `crossover data prepare` MB/s of text with the byte tokenizer and with a
# SentencePiece BPE (training included, then encoding alone with the trained
# .model), and TokenLoader::next_batch tokens/s (`crossover data bench`).
# Cost: ~1-3 minutes on 2 cores (SentencePiece training dominates), ~200 MB disk
# under $OUT (default a temp dir, removed at the end).
# Example: scripts/bench_data.sh            # VOCAB=4096 BUILD_DIR=build scripts/bench_data.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BUILD_DIR:-build}/crossover
VOCAB=${VOCAB:-4096}
OUT=${OUT:-$(mktemp -d)}
trap 'rm -rf "$OUT"' EXIT
echo "== prepare python-stdlib, byte tokenizer"
"$BIN" data prepare --source python-stdlib --out "$OUT/byte"
echo "== prepare python-stdlib, SentencePiece BPE $VOCAB (training + encoding)"
"$BIN" data prepare --source python-stdlib --out "$OUT/sp" --tokenizer sentencepiece --vocab-size "$VOCAB"
echo "== prepare python-stdlib, SentencePiece encoding only (the trained .model)"
"$BIN" data prepare --source python-stdlib --out "$OUT/sp2" --tokenizer-model "$OUT/sp/tokenizer.model"
for ds in byte sp; do
  echo "== loader on $ds (T=256, B=64, 2000 batches; epoch and global shuffle)"
  "$BIN" data bench "$OUT/$ds" --seq-len 256 --batch 64 --steps 2000
  "$BIN" data bench "$OUT/$ds" --seq-len 256 --batch 64 --steps 2000 --shuffle global
done
