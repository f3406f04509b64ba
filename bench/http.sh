#!/usr/bin/env bash
# bench/http.sh: HTTP throughput and latency of Contrail beside nginx, in the same run.
#
# Starts the release build of `contrail serve` (fresh SQLite database, access log off) and an
# nginx serving a static file of the same size as the /healthz answer, then runs wrk against
# each: nginx static (the peer), /healthz, and the autocomplete rotating over a fixed query
# mix. Prints requests/s, latency percentiles and the ratio to nginx. Load goes to loopback
# only and every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

work=$(mktemp -d /tmp/contrail-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done # the sandbox worlds stop with them
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work" 2>/dev/null || { sleep 1; rm -rf "$work" || true; }
}
trap cleanup EXIT

free_port() {
  for p in $(seq "$1" $(($1 + 200))); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}

build/release/contrail serve --db "sqlite:$work/bench.db" --port 0 --port-file "$work/port" \
  --threads 2 --access-log false --log-level warn --web-dir "$root/web/dist" --rate-limit-ip 0 \
  --refdata-dir "$root/data/node_modules" --jwt-secret-file "$work/jwt0.key" >"$work/contrail.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do [ -s "$work/port" ] && break; sleep 0.1; done
ct_port=$(cat "$work/port")

ng_port=$(free_port 18080)
mkdir -p "$work/www"
chmod 755 "$work" "$work/www" # nginx workers run as an unprivileged user
printf '{"status":"ok"}' >"$work/www/healthz.json"
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$ng_port;
    root $work/www;
    location / { default_type application/json; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$ng_port) 2>/dev/null && break; sleep 0.1; done

cat >"$work/mix.lua" <<'LUA'
-- Rotates over a fixed autocomplete mix: codes, cities, metro names, accents, countries.
local qs = {"zur", "new%20york", "lon", "sao", "S%C3%A3o%20Paulo", "JFK", "frankfurt",
            "tok", "par", "los%20angeles", "switzerland", "dubai", "sin", "ber", "mad"}
local i = 0
request = function()
  i = i % #qs + 1
  return wrk.format("GET", "/api/v1/airports?q=" .. qs[i] .. "&limit=10")
end
LUA

run() { # name url [script]
  local name=$1 url=$2 script=${3:-}
  local out
  if [ -n "$script" ]; then
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" "$url")
  else
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
  fi
  local rps p50 p90 p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p90=$(echo "$out" | awk '$1=="90%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  printf '%-28s %12s req/s   p50 %8s   p90 %8s   p99 %8s  %s\n' "$name" "$rps" "$p50" "$p90" "$p99" "$errors"
  echo "$rps" >"$work/rps.$name"
}

echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION each; $(nproc) cores"
run nginx-static "http://127.0.0.1:$ng_port/healthz.json"
run contrail-healthz "http://127.0.0.1:$ct_port/healthz"
run contrail-autocomplete "http://127.0.0.1:$ct_port/" "$work/mix.lua"
ng=$(cat "$work/rps.nginx-static")
for n in contrail-healthz contrail-autocomplete; do
  awk -v a="$(cat "$work/rps.$n")" -v b="$ng" -v n="$n" \
    'BEGIN { printf "ratio %-22s %.2f x nginx static\n", n, a / b }'
done

# ---- POST /api/v1/searches on the default world, priced by the sandbox providers' feeds ----
# A second server runs the default sandbox world beside it (248 carriers, >= 50,000 legs a day)
# and ingests the five providers' feeds for the next SEARCH_DAYS days (the timetable covers the
# year); wrk then posts one-way searches rotating over 45 requests (15 hub, metro and
# regional pairs x 3 dates). Twice: with the answer cache off (every request searched), then
# on (the server restarted on the same world: its timetable, prices and feed state reload from
# their files, and the cache serves a repeated request until a price moves).
SEARCH_DAYS=${SEARCH_DAYS:-10}
smtp_port=$(free_port 12525)
day() { date -u -d "+$1 days" +%F; }
start_search_server() { # cache-slots
  rm -f "$work/port2"
  build/release/contrail serve --db "sqlite:$work/search.db" --port 0 --port-file "$work/port2" \
    --threads 2 --access-log false --log-level warn --web-dir "$root/web/dist" --rate-limit-ip 0 \
    --refdata-dir "$root/data/node_modules" --sandbox true --sandbox-dir "$work/sandbox" \
    --sandbox-smtp-port "$smtp_port" --schedules-dir "$work/none" --search-cache "$1" \
    --timetable-cache "$work/timetable.bin" --pricebook-cache "$work/pricebook.bin" \
    --ingest-days "$SEARCH_DAYS" --ingest-interval 3600 --price-history false \
    --jwt-secret-file "$work/jwt.key" >"$work/contrail-search.log" 2>&1 &
  search_pid=$!
  pids+=($search_pid)
  for _ in $(seq 1 300); do [ -s "$work/port2" ] && break; sleep 0.1; done
  s_port=$(cat "$work/port2")
  local t0
  t0=$(date +%s)
  for _ in $(seq 1 1800); do # world generation, the timetable, then the feeds
    done_=$(curl -s -X POST "http://127.0.0.1:$s_port/api/v1/searches" \
      -H 'Content-Type: application/json' -d '{"slices":[{"origin":"ZRH","destination":"LHR","date":"'"$(day $((SEARCH_DAYS - 1)))"'"}],"limit":1}' |
      grep -c amount_minor || true)
    [ "$done_" -gt 0 ] && break
    sleep 1
  done
  # then until the first pass is over (no feed traffic during the measurement)
  for _ in $(seq 1 1800); do
    curl -s "http://127.0.0.1:$s_port/metrics" | grep -q 'contrail_ingest_last_sync_seconds{provider="combiner"} [1-9]' && break
    sleep 1
  done
  echo "default world priced for $SEARCH_DAYS days $(($(date +%s) - t0)) s after start (cache slots $1)"
}
{
  echo 'local bodies = {'
  for pair in LON:NYC FRA:JFK PAR:TYO ZRH:SIN LAX:SYD ORD:MIA GRU:LIS DXB:BOM HND:ICN MAD:BCN \
    BSL:OSL YYZ:MEX CPT:NBO DEL:BKK AMS:SFO; do
    for d in 2 4 6; do
      printf "  '{\"slices\":[{\"origin\":\"%s\",\"destination\":\"%s\",\"date\":\"%s\"}],\"currency\":\"EUR\",\"limit\":20}',\n" \
        "${pair%:*}" "${pair#*:}" "$(day "$d")"
    done
  done
  echo '}'
  cat <<'LUA'
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/api/v1/searches", {["Content-Type"] = "application/json"}, bodies[i])
end
LUA
} >"$work/search.lua"
# Each measured run follows a warm-up of the same mix (WARMUP, default 5 s): the per-airport
# indexes built on first use and the timetable pages the queries read are then in place,
# as on a server that has been answering for a while.
WARMUP=${WARMUP:-5s}
warm() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$1" "$2" >/dev/null; }
start_search_server 0
warm "$work/search.lua" "http://127.0.0.1:$s_port/"
run contrail-search-uncached "http://127.0.0.1:$s_port/" "$work/search.lua"
kill -INT "$search_pid"
wait "$search_pid" 2>/dev/null || true
start_search_server 4096
warm "$work/search.lua" "http://127.0.0.1:$s_port/"
run contrail-search-cached "http://127.0.0.1:$s_port/" "$work/search.lua"
for n in contrail-search-uncached contrail-search-cached; do
  awk -v a="$(cat "$work/rps.$n")" -v b="$ng" -v n="$n" \
    'BEGIN { printf "ratio %-24s %.3f x nginx static\n", n, a / b }'
done
kill -INT "$search_pid"
wait "$search_pid" 2>/dev/null || true

# The same 45 searches in process (no HTTP, no JSON), single thread, over the timetable and
# the pricebook that server saved: what the engine itself costs per request.
echo "in process, the same one-way searches over that server's timetable and prices:"
build/release/bench_search "$root/data/node_modules" --live "$work" "${LIVE_ROUNDS:-5}"
