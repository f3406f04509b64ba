#!/usr/bin/env bash
# bench/world.sh: sandbox world generation and SSIM publication, default world.
# Runs `contrail-sandbox generate` RUNS times and prints p50/max wall time, SSIM size and
# peak memory; as the peer measured in the same run, the time `cat` takes to write the same
# number of bytes to the same disk (the I/O floor for publishing the files).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
out=$(mktemp -d /tmp/contrail-world-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
times=()
for i in $(seq 1 "$RUNS"); do
  rm -rf "$out/ssim"
  s=$(date +%s.%N)
  report=$(build/release/contrail-sandbox generate --seed 42 --start 2026-11-23 --out "$out/ssim" \
    --log-level warn)
  e=$(date +%s.%N)
  times+=("$(awk -v a="$s" -v b="$e" 'BEGIN { print b - a }')")
done
echo "$report"
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
p50=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
max=$(echo "$sorted" | tail -n 1)
bytes=$(cat "$out"/ssim/*.ssim | wc -c)
s=$(date +%s.%N)
cat "$out"/ssim/*.ssim >"$out/copy" && sync "$out/copy"
e=$(date +%s.%N)
peer=$(awk -v a="$s" -v b="$e" 'BEGIN { print b - a }')
awk -v r="$RUNS" -v p="$p50" -v m="$max" -v b="$bytes" -v q="$peer" 'BEGIN {
  printf "generate + publish, %d runs: p50 %.2f s, max %.2f s; SSIM %.1f MB\n", r, p, m, b / 1e6
  printf "peer (cat of the same bytes): %.2f s; ratio %.1fx\n", q, p / q }'
