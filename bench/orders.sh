#!/usr/bin/env bash
# bench/orders.sh: end-to-end orders per second of one Contrail instance against the sandbox
# world, faults off and provider latency 0 (issue 14), beside the same saga's calls made
# directly (the peer, same run).
#
# Per engine (SQLite; with PG=1 also PostgreSQL, a throwaway cluster of
# scripts/pg-cluster.sh): starts the small sandbox world
# (`contrail-sandbox world`, fresh folder) and a Release `contrail serve --sandbox-world` on a
# fresh database (`--http-queue 256 --rate-limit-ip 0 --schedule-days 1`, access log off, log
# level warn), waits for booking to be wired, then runs build/release/bench_orders: live
# offers on legs 200-330 days ahead at airline-1, airline-2, ota-eur and ota-usd, then
# POST /api/v1/orders from CLIENTS concurrent guests, ORDERS orders per client count, each
# followed by the peer (hold, authorise, ticket, capture straight at the sandbox). Prints the
# table of bench_orders (orders/s, p50/p90/p99/max, CPU per order of serve, of the world, of
# PostgreSQL and of the bench itself; the processor's payments reconciled with the orders),
# then how many confirmation e-mails the sandbox mailbox holds and how fast they follow.
# Everything is stopped at the end. Loopback only; about 45 s per engine.
#
#   CLIENTS=8,16,32 ORDERS=2000 WARMUP=100 WORKERS=4 PG=0 SQLITE=1 KEEP=0 bench/orders.sh
# (KEEP=1 keeps the serve and world logs.)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
CLIENTS=${CLIENTS:-8,16,32}
ORDERS=${ORDERS:-2000}
WARMUP=${WARMUP:-100}
WORKERS=${WORKERS:-4} # serve's --http-workers (its default)
PG=${PG:-0}         # 1: also PostgreSQL
SQLITE=${SQLITE:-1} # 0: PostgreSQL only

work=$(mktemp -d /tmp/contrail-orders.XXXXXX)
pgdir=""
pids=()
stop_all() { # serve first, then the world it talks to
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  pids=()
}
cleanup() {
  stop_all
  [ -n "$pgdir" ] && scripts/pg-cluster.sh stop "$pgdir"
  if [ "${KEEP:-0}" = 1 ]; then echo "logs kept in $work"; return; fi
  rm -rf "$work" 2>/dev/null || { sleep 1; rm -rf "$work" || true; }
}
trap cleanup EXIT

run_engine() { # name db-url [--cpu LABEL=PID]
  local name=$1 db=$2 dir=$work/$1
  shift 2
  mkdir -p "$dir/none"
  build/release/contrail-sandbox world --dir "$dir/world" --size small --smtp-port 0 \
    --refdata-dir "$root/data/node_modules" --log-level warn >"$dir/world.log" 2>&1 &
  local world_pid=$!
  pids+=("$world_pid")
  for _ in $(seq 1 600); do [ -s "$dir/world/world.json" ] && break; sleep 0.1; done
  build/release/contrail serve --db "$db" --port 0 --port-file "$dir/port" --web-dir= \
    --refdata-dir "$root/data/node_modules" --jwt-secret-file "$dir/jwt.key" \
    --schedules-dir "$dir/none" --schedule-days 1 --timetable-cache= --pricebook-cache= \
    --sandbox-world "$dir/world" --http-queue 256 --rate-limit-ip 0 --http-workers "$WORKERS" \
    --access-log false --log-level warn >"$dir/serve.log" 2>&1 &
  local serve_pid=$!
  pids+=("$serve_pid")
  for _ in $(seq 1 600); do
    [ -s "$dir/port" ] && break
    kill -0 "$serve_pid" 2>/dev/null || { echo "serve exited"; tail -20 "$dir/serve.log"; return 1; }
    sleep 0.1
  done
  local port st=0
  port=$(cat "$dir/port")
  for _ in $(seq 1 600); do # booking wired: an empty offer request is a 400, not a 503
    st=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      -d '{}' "http://127.0.0.1:$port/api/v1/offers" || true)
    [ "$st" = 400 ] && break
    sleep 0.1
  done
  [ "$st" = 400 ] || { echo "booking did not come up"; tail -20 "$dir/serve.log"; return 1; }
  echo "-- $name: serve --http-workers $WORKERS (pid $serve_pid), small sandbox world (pid $world_pid)"
  build/release/bench_orders "$dir/world/world.json" "http://127.0.0.1:$port" \
    --clients "$CLIENTS" --orders "$ORDERS" --warmup "$WARMUP" \
    --cpu serve="$serve_pid" --cpu world="$world_pid" "$@"
  # The confirmation e-mails go out through the outbox relay, after the 201s: how many were
  # at the sandbox's mailbox when the last order was answered, and how fast they follow.
  local mail_url m0 m1
  mail_url=$(awk '/"mail"/ { m = 1 } m && /"url"/ { gsub(/[",]/, "", $2); print $2; exit }' \
    "$dir/world/world.json")
  mails() { curl -s "$mail_url/api/v1/messages?limit=1" | sed -n 's/^{"total":\([0-9]*\).*/\1/p'; }
  m0=$(mails)
  sleep 5
  m1=$(mails)
  echo "confirmation e-mails at the sandbox mail server: ${m0:-?} when the run ended," \
    "then $(((${m1:-0} - ${m0:-0}) / 5))/s"
  stop_all
}

echo "orders: $(nproc) cores, $(date -u +%FT%TZ), $(git rev-parse --short HEAD)"
if [ "$SQLITE" = 1 ]; then
  run_engine sqlite "sqlite:$work/sqlite/contrail.db"
fi
if [ "$PG" = 1 ]; then
  echo
  pgdir=$(mktemp -d /tmp/contrail-orders-pg.XXXXXX) # its own: the cluster's owner must enter it
  pg_url=$(scripts/pg-cluster.sh start "$pgdir")
  run_engine postgres "$pg_url" --cpu postgres="$(head -n 1 "$pgdir/data/postmaster.pid")"
fi
