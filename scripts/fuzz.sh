#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the SSIM reader's libFuzzer driver (fuzz/ssim_fuzz.c) with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer against the reader's sources, then fuzzes it
# for SECONDS (default 20) starting from the seed corpus fuzz/corpus/ssim/ and the dictionary
# fuzz/ssim.dict. New inputs go to build/fuzz/corpus/ (the seeds in the tree are never
# written). Exits non-zero when the fuzzer finds a crash, a leak, undefined behaviour or a
# time-out; the reproducer is then in build/fuzz/artifacts/ (replay it with
# `build/fuzz/ssim_fuzz FILE`). Needs Debian's clang and libclang-rt-14-dev (scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
out=build/fuzz
mkdir -p "$out/corpus" "$out/artifacts"

echo "fuzz: building $out/ssim_fuzz"
# shellcheck disable=SC2046 # pkg-config output is a list of flags
clang -std=gnu11 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wvla -Isrc \
  fuzz/ssim_fuzz.c src/timetable/ssim.c src/base/timeutil.c src/base/alloc.c src/base/vec.c \
  src/base/status.c $(pkg-config --cflags --libs icu-uc icu-i18n) -lpthread \
  -o "$out/ssim_fuzz"

echo "fuzz: running for ${seconds}s"
log="$out/ssim_fuzz.log"
status=0
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$out/ssim_fuzz" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -dict=fuzz/ssim.dict -artifact_prefix="$out/artifacts/" -print_final_stats=1 \
  "$out/corpus" fuzz/corpus/ssim >"$log" 2>&1 || status=$?
grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" \
  | sed 's/^/fuzz: /' || true
grep -E "^Done [0-9]+ runs" "$log" | sed "s/^/fuzz: /" || true
if [ "$status" -ne 0 ]; then
  tail -60 "$log"
  echo "fuzz: FAILED (exit $status); reproducer(s):"
  ls -1 "$out/artifacts/"
  exit 1
fi
echo "fuzz: no crash"
