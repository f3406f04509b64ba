#!/usr/bin/env bash
# bench/cluster.sh: search and booking throughput of the cluster (scripts/cluster.sh) with 1
# and with 3 instances behind nginx on this machine (issue 17), and the figures of the capacity
# model in docs/cluster.md.
#
# For N in 1 and 3: a fresh cluster (PostgreSQL, Redis, the small sandbox world, N instances,
# nginx; no Prometheus; `--rate-limit-ip 0` since every load comes from one address, and
# `--search-cache 0` so each search is computed, not a cache hit), every instance priced, then
#   1. searches: wrk (-t2 -c32, DURATION s) POSTing one-way searches rotating over 8 city pairs
#      x 26 days (5-30 ahead), first straight at instance 1 (the peer: no balancer), then
#      through nginx; requests/s, latency percentiles, the ratio nginx / straight, and the CPU
#      seconds the instances, nginx, PostgreSQL and wrk used (/proc utime+stime of each
#      process tree): searches per CPU-second of the instances = searches/s per core;
#   2. bookings: build/release/bench_orders through nginx (ORDERS orders from CLIENTS guests,
#      live offers on legs DAYS ahead; its peer is the saga's four calls made straight at the
#      sandbox) with the CPU of every instance, the world, PostgreSQL and nginx;
#   3. memory: VmRSS and VmHWM of each instance after the runs.
# Loopback only; about 3 minutes. Everything is stopped at the end.
#   DURATION=10 CLIENTS=16 ORDERS=600 DAYS=10-34 KEEP=0 bench/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-16}
ORDERS=${ORDERS:-600}
DAYS=${DAYS:-10-34}
work=$(mktemp -d /tmp/contrail-bench-cluster.XXXXXX)
chmod 755 "$work" # as root PostgreSQL runs as postgres, which must reach its folder
export CLUSTER_BIN=build/release CLUSTER_PORT=0 CLUSTER_PROMETHEUS=0 CLUSTER_SCHEDULE_DAYS=35
export CLUSTER_EXTRA="--rate-limit-ip 0 --search-cache 0 --log-level warn"
cleanup() {
  for d in "$work"/c*; do [ -d "$d" ] && CLUSTER_DIR=$d scripts/cluster.sh stop >/dev/null 2>&1 || true; done
  [ "${KEEP:-0}" = 1 ] && { echo "logs kept in $work"; return; }
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/search.lua" <<LUA
-- One-way searches rotating over 8 city pairs x 26 departure days.
local pairs_ = {{"LON","NYC"},{"NYC","LON"},{"PAR","NYC"},{"LON","PAR"},{"FRA","NYC"},{"NYC","PAR"},{"LON","FRA"},{"PAR","LON"}}
local days = {$(for d in $(seq 5 30); do printf '"%s",' "$(date -u -d "+$d days" +%F)"; done)}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  local p = pairs_[i % #pairs_ + 1]
  local d = days[math.floor(i / #pairs_) % #days + 1]
  return wrk.format("POST", "/api/v1/searches", nil, '{"slices":[{"origin":"' .. p[1] .. '","destination":"' .. p[2] .. '","date":"' .. d .. '"}],"limit":10}')
end
LUA

ticks() { # PID...: utime+stime clock ticks of each process and its descendants, summed
  local total=0 p kids
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat")))
    kids=$(cat /proc/"$p"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true)
    [ -n "$kids" ] && total=$((total + $(ticks $kids)))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)

search_run() { # LABEL URL: prints one table row
  local label=$1 url=$2 c0 n0 p0 out
  c0=$(ticks "${inst_pids[@]}"); n0=$(ticks "$nginx_pid"); p0=$(ticks "$pg_pid")
  out=$(wrk -t2 -c32 -d"${DURATION}s" --latency -s "$work/search.lua" "$url" 2>&1)
  local c1 n1 p1
  c1=$(ticks "${inst_pids[@]}"); n1=$(ticks "$nginx_pid"); p1=$(ticks "$pg_pid")
  local rps p50 p90 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p90=$(awk '$1 == "90%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  local inst_s nginx_s pg_s total
  secs() { awk -v t="$1" -v h="$hz" 'BEGIN {printf "%.2f", t / h}'; }
  inst_s=$(secs $((c1 - c0))); nginx_s=$(secs $((n1 - n0))); pg_s=$(secs $((p1 - p0)))
  total=$(awk -v r="$rps" -v d="$DURATION" 'BEGIN {printf "%d", r * d}')
  local per_core
  per_core=$(awk -v t="$total" -v s="$inst_s" 'BEGIN {printf "%.0f", (s > 0) ? t / s : 0}')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$rps" "$p50" "$p90" "$p99" \
    "$non2xx" "$inst_s" "$nginx_s" "$pg_s" "$per_core"
  echo "$rps" >"$work/rps.$3"
}

echo "cluster bench: $(nproc) cores, $(date -u +%FT%TZ), $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in 1 3; do
  export CLUSTER_DIR=$work/c$n CLUSTER_INSTANCES=$n
  scripts/cluster.sh start >"$work/start$n.log" 2>&1 || { cat "$work/start$n.log"; exit 1; }
  # shellcheck disable=SC1091
  . "$CLUSTER_DIR/ports.env"
  inst_pids=()
  for i in $(seq 1 "$n"); do inst_pids+=("$(cat "$CLUSTER_DIR/pids/contrail$i.pid")"); done
  nginx_pid=$(cat "$CLUSTER_DIR/pids/nginx.pid")
  world_pid=$(cat "$CLUSTER_DIR/pids/world.pid")
  pg_pid=$(head -n 1 "$CLUSTER_DIR/pg/data/postmaster.pid")
  for i in $(seq 1 "$n"); do # every instance priced
    port_var="port_$i"
    for _ in $(seq 1 600); do
      curl -s -X POST "http://127.0.0.1:${!port_var}/api/v1/searches" -H 'Content-Type: application/json' \
        -d '{"slices":[{"origin":"LON","destination":"NYC","date":"'"$(date -u -d '+9 days' +%F)"'"}],"limit":1}' |
        grep -q '"amount_minor"' && break
      sleep 0.2
    done
  done
  echo
  echo "== $n instance(s) (pids ${inst_pids[*]}), nginx $nginx_pid; searches (wrk -t2 -c32 -d${DURATION}s, cache off)"
  echo "| path | searches/s | p50 | p90 | p99 | non-2xx | instances CPU s | nginx CPU s | PostgreSQL CPU s | searches per instance CPU-second |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  search_run "straight to instance 1" "http://127.0.0.1:$port_1" "direct$n"
  search_run "through nginx" "http://127.0.0.1:$lb_port" "nginx$n"
  echo "ratio nginx / straight: $(awk -v a="$(cat "$work/rps.nginx$n")" -v b="$(cat "$work/rps.direct$n")" 'BEGIN {printf "%.2f", a / b}')"
  echo "-- bookings through nginx (bench_orders --clients $CLIENTS --orders $ORDERS --days $DAYS)"
  cpu_args=()
  for i in $(seq 1 "$n"); do cpu_args+=(--cpu "contrail$i=${inst_pids[$((i - 1))]}"); done
  build/release/bench_orders "$CLUSTER_DIR/world/world.json" "http://127.0.0.1:$lb_port" \
    --clients "$CLIENTS" --orders "$ORDERS" --warmup 50 --days "$DAYS" \
    "${cpu_args[@]}" --cpu nginx="$nginx_pid" --cpu world="$world_pid" --cpu postgres="$pg_pid"
  echo "-- memory per instance"
  for i in $(seq 1 "$n"); do
    echo "contrail$i: $(awk '/^VmRSS|^VmHWM/ {printf "%s %d MiB  ", $1, $2 / 1024}' "/proc/${inst_pids[$((i - 1))]}/status")"
  done
  scripts/cluster.sh stop >/dev/null 2>&1
done
