#!/usr/bin/env bash
# bench/startup.sh: `contrail serve` start-up to the first search answer, one-year timetable
# of the default sandbox world (the requirement: at most 2 s, at most 1 GiB resident).
#
# Generates the default world's SSIM from today (or reuses the one generated today), prepares
# a database with the reference data once (a restart, not a first install), then RUNS times
# each: starts the server on those schedules and polls POST /api/v1/searches until it
# returns itineraries, timing from exec. Three ways:
#   cold     no timetable cache: the schedules are built from SSIM (the build is then saved);
#   warm     the cache file from the cold run, in the page cache;
#   evicted  the same file after dropping it (and the SSIM files and database) from the page
#            cache with `dd iflag=nocache`, as after a reboot.
# After the first answer it prints VmRSS (with its anonymous and file-backed parts) and
# VmHWM from /proc. No peer: the figure is held against the requirement.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
bin=${CONTRAIL_BIN:-build/release/contrail}
unset CONTRAIL_BIN # not a flag: contrail refuses CONTRAIL_* variables no command has
work=${STARTUP_DIR:-/tmp/contrail-startup-bench}
today=$(date -u +%F)
ssim=$work/ssim-$today
mkdir -p "$work"
if [ ! -s "$ssim/.done" ]; then
  rm -rf "$work"/ssim-*
  build/release/contrail-sandbox generate --seed 42 --start "$today" --out "$ssim" \
    --refdata-dir data/node_modules --log-level warn >/dev/null
  echo ok >"$ssim/.done"
fi
db=$work/bench.db
if [ ! -s "$db" ]; then
  s=$(date +%s.%N)
  "$bin" import refdata --db "sqlite:$db" --refdata-dir data/node_modules >/dev/null 2>&1
  e=$(date +%s.%N)
  awk -v a="$s" -v b="$e" 'BEGIN { printf "first start only: reference data import %.2f s\n", b - a }'
fi
cache=$work/timetable.bin
date7=$(date -u -d "+7 days" +%F)
body='{"slices":[{"origin":"LON","destination":"NYC","date":"'$date7'"}]}'
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT

evict() { # drop files from the page cache (no root needed)
  for f in "$@"; do dd if="$f" iflag=nocache count=0 status=none 2>/dev/null || true; done
}

# One start: prints "seconds_to_listen seconds_to_first_answer rss_kb anon_kb file_kb hwm_kb".
one_start() {
  rm -f "$work/port" "$work/answer.json"
  local s e1="" e2="" code
  s=$(date +%s.%N)
  "$bin" serve --db "sqlite:$db" --port 0 --port-file "$work/port" \
    --jwt-secret-file "$work/jwt.key" --schedules-dir "$ssim" --timetable-cache "$1" \
    --web-dir "" --refdata-dir data/node_modules --access-log false >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 3000); do
    if [ -z "$e1" ] && [ -s "$work/port" ]; then e1=$(date +%s.%N); fi
    if [ -n "$e1" ]; then
      code=$(curl -s -o "$work/answer.json" -w '%{http_code}' -X POST \
        "http://127.0.0.1:$(cat "$work/port")/api/v1/searches" \
        -H 'Content-Type: application/json' -d "$body" || true)
      if [ "$code" = 200 ] && grep -q '"legs"' "$work/answer.json"; then
        e2=$(date +%s.%N)
        break
      fi
    fi
    sleep 0.01
  done
  [ -n "$e2" ] || { kill "$pid"; cat "$work/server.log" >&2; echo "no answer" >&2; exit 1; }
  local st=/proc/$pid/status
  printf '%s %s %s %s %s %s\n' \
    "$(awk -v a="$s" -v b="$e1" 'BEGIN { print b - a }')" \
    "$(awk -v a="$s" -v b="$e2" 'BEGIN { print b - a }')" \
    "$(awk '/^VmRSS/ { print $2 }' "$st")" "$(awk '/^RssAnon/ { print $2 }' "$st")" \
    "$(awk '/^RssFile/ { print $2 }' "$st")" "$(awk '/^VmHWM/ { print $2 }' "$st")"
  kill -TERM "$pid" # a cold start saves the cache before it exits
  wait "$pid" || { cat "$work/server.log" >&2; echo "server did not stop cleanly" >&2; exit 1; }
  pid=""
}

report() { # name, then lines of one_start
  local name=$1
  shift
  printf '%s\n' "$@" | sort -n -k2 | awk -v n="$name" -v r="$RUNS" '
    { l[NR] = $1; q[NR] = $2; rss[NR] = $3; an[NR] = $4; fi[NR] = $5; hwm[NR] = $6 }
    END { m = int((NR + 1) / 2)
      printf "%-8s listening p50 %.2f s; first answer p50 %.2f s, max %.2f s (%d runs);", n, l[m], q[m], q[NR], r
      printf " after it VmRSS %.0f MiB (anon %.0f, file %.0f), VmHWM %.0f MiB\n",
        rss[m] / 1024, an[m] / 1024, fi[m] / 1024, hwm[m] / 1024 }'
}

cold=() warm=() evicted=()
for _ in $(seq 1 "$RUNS"); do
  rm -f "$cache"
  cold+=("$(one_start "$cache")")
  grep -q '"cache":"miss"' "$work/server.log" || { echo "cold run did not miss" >&2; exit 1; }
  [ -s "$cache" ] || { cat "$work/server.log" >&2; echo "no cache written" >&2; exit 1; }
done
for _ in $(seq 1 "$RUNS"); do
  warm+=("$(one_start "$cache")")
  grep -q '"cache":"hit"' "$work/server.log" || { echo "warm run did not hit" >&2; exit 1; }
done
for _ in $(seq 1 "$RUNS"); do
  evict "$cache" "$db" "$ssim"/*.ssim
  evicted+=("$(one_start "$cache")")
done
legs=$(grep -o '"dated_legs":"[0-9]*"' "$work/server.log" | grep -o '[0-9]*')
echo "default world, $(ls "$ssim"/*.ssim | wc -l) SSIM files from $today, $legs dated legs;" \
  "cache file $(($(stat -c %s "$cache") / 1000000)) MB"
report cold "${cold[@]}"
report warm "${warm[@]}"
report evicted "${evicted[@]}"
rm -f "$cache" # 580 MB; the SSIM files and the database are kept for the next run
