#!/usr/bin/env bash
# fuzz.sh [SECONDS] [NAME...]: builds the libFuzzer drivers (fuzz/, one per parser of outside
# input) in the Fuzz configuration (clang, -DCT_FUZZ=ON: every module instrumented,
# -fsanitize=fuzzer,address,undefined) into build/fuzz, then runs each one (or the NAMEs
# given) for SECONDS (default 12) from its seeds tests/fuzz/corpus/NAME/ (and the dictionary
# tests/fuzz/NAME.dict when there is one). New inputs go to build/fuzz/corpus/NAME/ (the
# seeds in the tree are never written), so later runs start from what earlier ones found.
# Prints per driver its executions, executions per second and coverage (libFuzzer's cov:
# edges and ft: features of the final "DONE" line, corp: inputs kept). Exits non-zero when a
# driver finds a crash, a leak, undefined behaviour or a time-out, naming the reproducer in
# build/fuzz/artifacts/NAME/ (replay it with `build/fuzz/fuzz/NAME FILE`; a fix commits it
# as a seed and adds a regression test). Needs clang and libclang-rt-14-dev (scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-12}
shift || true
out=build/fuzz

# name:max_len (bytes per input)
all="ssim_fuzz:8192 timeutil_fuzz:64 config_fuzz:4096 mime_fuzz:16384 smtp_fuzz:16384
ingest_fuzz:16384 ingest_state_fuzz:4096 pricebook_file_fuzz:65536 timetable_cache_fuzz:65536
http_fuzz:2048 search_body_fuzz:4096 booking_fuzz:16384 sms_form_fuzz:8192
unsubscribe_fuzz:512"
if [ "$#" -gt 0 ]; then
  pick=""
  for n in "$@"; do pick="$pick $(echo "$all" | tr ' ' '\n' | grep "^$n:")"; done
  all=$pick
fi

echo "fuzz: building $out (clang, Fuzz)"
cmake -S . -B "$out" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Fuzz -DCT_FUZZ=ON \
  >/dev/null
cmake --build "$out" --target fuzzers -j"${JOBS:-2}"

failed=""
for entry in $all; do
  name=${entry%%:*}
  maxlen=${entry##*:}
  [ -x "$out/fuzz/$name" ] || { echo "fuzz: $name was not built"; exit 1; }
  mkdir -p "$out/corpus/$name" "$out/artifacts/$name"
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  log="$out/$name.log"
  status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$out/fuzz/$name" -max_total_time="$seconds" -max_len="$maxlen" -timeout=10 \
    -rss_limit_mb=2048 "${dict[@]}" -artifact_prefix="$out/artifacts/$name/" \
    -print_final_stats=1 "$out/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$done_line" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
  printf 'fuzz: %-22s %10s execs %7s/s  cov: %-6s ft: %-6s corp: %s\n' "$name" "${execs:-?}" \
    "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  if [ "$status" -ne 0 ]; then
    tail -60 "$log"
    echo "fuzz: $name FAILED (exit $status); reproducer(s) in $out/artifacts/$name/:"
    ls -1 "$out/artifacts/$name/"
    failed="$failed $name"
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz: FAILED:$failed"
  exit 1
fi
echo "fuzz: no crash"
