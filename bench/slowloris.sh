#!/usr/bin/env bash
# bench/slowloris.sh: what other clients get under a slow-client flood and a sign-in load.
#
# Starts `contrail serve` (BIN, default build/release/contrail; fresh SQLite database, access
# log and rate limit off, the default hardening flags) and runs bench_http_load against it
# three times: without load, under FLOOD connections from 127.0.0.1 each sending a header
# line a second (the issue's attack: 4,200), and with SIGNERS clients signing in back to back
# (argon2id). Each line: requests/s, p50/p99/max latency and failures of four keep-alive
# clients on 127.0.0.2 alternating /healthz and an airport search. BIN=... runs an older
# build for the "before" figures. Loopback only, each run bounded by SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
BIN=${BIN:-build/release/contrail}
SECONDS_EACH=${SECONDS_EACH:-10}
FLOOD=${FLOOD:-4200}
SIGNERS=${SIGNERS:-8}
ulimit -n 20000 2>/dev/null || true

work=$(mktemp -d /tmp/contrail-slowloris.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The load client is plain C and libc, built here (it needs none of the project).
LOAD=$work/bench_http_load
cc -O2 -Wall -Wextra -Werror -pthread -o "$LOAD" bench/bench_http_load.c

"$BIN" serve --db "sqlite:$work/bench.db" --port 0 --port-file "$work/port" --threads 2 \
  --access-log false --log-level error --web-dir "" --rate-limit-ip 0 \
  --refdata-dir "${REFDATA:-$root/data/node_modules}" --jwt-secret-file "$work/jwt.key" \
  >"$work/contrail.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
echo "contrail: $BIN on port $port"
"$LOAD" "$port" none 0 "$SECONDS_EACH"
"$LOAD" "$port" flood "$FLOOD" "$SECONDS_EACH"
sleep 2
"$LOAD" "$port" signin "$SIGNERS" "$SECONDS_EACH"
