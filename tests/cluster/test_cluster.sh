#!/usr/bin/env bash
# test_cluster.sh [BIN_DIR]: the cluster of issue 17 tested as it runs (scripts/cluster.sh, the
# binaries of BIN_DIR, default build/release), in a temporary folder, on free ports. Run by
# scripts/test.sh; under two minutes (with RabbitMQ). Exits 1 at the first failed check.
#   1. Prometheus (Debian's) scrapes the three instances: `up` is 1 for each and each has the
#      outbox lag the alert rules use (its HTTP API).
#   2. The per-address rate limit holds cluster-wide: 600 requests from one client address
#      through nginx pass at most burst + rate x time (200 + 20/s x t), not three times that;
#      each 429 has Retry-After; another address still passes (the instances key on the
#      client from nginx's X-Forwarded-For, not on the balancer).
#   3. Load through nginx (8 travellers searching and booking; provider latency 150 ms so
#      bookings are in flight) while an instance (the ingestion leaseholder when there is
#      one) is killed with kill -9 and restarted: every
#      answer is a success, a business answer or a retryable error (502/503/504 with
#      Retry-After, 409 request_in_progress); every booking gets a final answer with its
#      Idempotency-Key; then in PostgreSQL: every 201 order is confirmed, every key has one
#      order at most, every order is settled (confirmed or failed) and no order lacks its key.
#      Prometheus saw the instance down (min_over_time(up) = 0); one instance holds the
#      ingestion lease again.
#      With --amqp (RabbitMQ started by scripts/cluster.sh): every instance reports
#      contrail_amqp_up 1 and no dead letters after the kill.
#   4. Redis stopped: searches through nginx still answer 200, the limits fall back to each
#      instance's own (contrail_ratelimit_redis_up 0), the guest booking lookup fails closed
#      (503 with Retry-After); Redis started again: the lookup answers again.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=${1:-build/release}
export CLUSTER_DIR CLUSTER_BIN=$bin CLUSTER_PORT=0 CLUSTER_SCHEDULE_DAYS=35
CLUSTER_DIR=$(mktemp -d /tmp/contrail-cluster.XXXXXX)
load_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  scripts/cluster.sh stop >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] && { echo "cluster test: logs kept in $CLUSTER_DIR"; return; }
  rm -rf "$CLUSTER_DIR"
}
trap cleanup EXIT
fail() {
  echo "cluster test: FAILED: $*" >&2
  for f in "$CLUSTER_DIR"/contrail*/serve.log; do
    echo "--- $f" >&2
    grep -E '"level":"(error|warn)"' "$f" | tail -5 >&2 || true
  done
  exit 1
}
ok() { echo "cluster test: ok: $*"; }

echo "cluster test: starting the cluster in $CLUSTER_DIR"
scripts/cluster.sh start >"$CLUSTER_DIR.start.log" 2>&1 || { cat "$CLUSTER_DIR.start.log"; rm -f "$CLUSTER_DIR.start.log"; fail "the cluster did not start"; }
rm -f "$CLUSTER_DIR.start.log"
# shellcheck disable=SC1091
. "$CLUSTER_DIR/ports.env"
lb="http://127.0.0.1:$lb_port"
prom="http://127.0.0.1:$prom_port"
psql_q() { psql "$pg_url" -X -A -t -q -c "$1"; }
promq() { curl -s --get "$prom/api/v1/query" --data-urlencode "query=$1"; }

# Prices: every instance has ingested the world's feeds (each answers a priced search).
day=$(date -u -d '+9 days' +%F)
for n in 1 2 3; do
  port_var="port_$n"
  priced=""
  for _ in $(seq 1 600); do
    priced=$(curl -s -X POST "http://127.0.0.1:${!port_var}/api/v1/searches" -H 'Content-Type: application/json' \
      -d '{"slices":[{"origin":"LON","destination":"NYC","date":"'"$day"'"}],"limit":1}' |
      grep -o '"amount_minor"' | head -1 || true)
    [ -n "$priced" ] && break
    sleep 0.2
  done
  [ -n "$priced" ] || fail "contrail$n has no prices"
done
raced=$(cat "$CLUSTER_DIR"/contrail*/serve.log | grep -c '"refdata.import_raced"' || true)
ok "three instances behind nginx at $lb, priced ($raced lost the race to import the reference data and went on)"

# ---- 1. Prometheus scrapes the three
up=""
for _ in $(seq 1 100); do
  up=$(promq 'sum(up{job="contrail"})' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")')
  [ "$up" = 3 ] && break
  sleep 0.3
done
[ "$up" = 3 ] || fail "Prometheus does not see three instances up: '$up'"
outbox=$(promq 'count(contrail_outbox_oldest_pending_seconds)' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")')
[ "$outbox" = 3 ] || fail "Prometheus has the outbox lag of '$outbox' instances, not 3"
ok "Prometheus scrapes the three instances (sum(up) = 3, the outbox lag of each)"

# ---- 2. the rate limit holds cluster-wide
burst=$(python3 tests/cluster/cluster_load.py burst "$lb" --source 127.0.0.9 --requests 600 --threads 12)
echo "cluster test: 600 requests from 127.0.0.9: $burst"
python3 - "$burst" <<'PY' || fail "the per-address limit does not hold across the instances"
import json, sys
r = json.loads(sys.argv[1])
limit = 200 + 20 * r["seconds"] + 2  # burst + 1,200 a minute for the time taken (+ rounding)
assert r["other"] == 0, r
assert r["passed"] + r["limited"] == 600, r
assert r["passed"] <= limit, f"{r['passed']} passed, at most {limit:.0f} allowed"
assert r["passed"] >= 190, f"only {r['passed']} passed: the burst is 200"
assert r["retry_after_ok"], "a 429 without Retry-After"
PY
other=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.10 "$lb/api/v1/airports?q=lon&limit=1")
[ "$other" = 200 ] || fail "another client address is limited too ($other): keyed on the balancer?"
ok "rate limit cluster-wide: $(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["passed"], "of 600 passed in", r["seconds"], "s")' "$burst"); another address passes"

# ---- 3. kill -9 under load
python3 - "$CLUSTER_DIR/world/world.json" <<'PY'
import json, sys, urllib.request
for p in json.load(open(sys.argv[1]))["providers"]:
    rq = urllib.request.Request(p["url"] + "/admin/faults", data=b'{"latency_ms":150}', method="PUT",
                                headers={"Content-Type": "application/json"})
    urllib.request.urlopen(rq).read()
PY
python3 tests/cluster/cluster_load.py load "$lb" --seconds 16 --threads 8 --out "$CLUSTER_DIR/load.json" \
  >"$CLUSTER_DIR/load.out" 2>&1 &
load_pid=$!
leader_of() { # N: contrail_cluster_leader of instance N (1 = it holds the ingestion lease)
  local port_var="port_$1"
  curl -s "http://127.0.0.1:${!port_var}/metrics" | awk '$1 == "contrail_cluster_leader" {print $2}'
}
victim=2 # the leaseholder when there is one (the instance that ingests), so its lease moves too
for n in 1 2 3; do [ "$(leader_of "$n")" = 1 ] && victim=$n; done
victim_port_var="port_$victim"
was_leader=$(leader_of "$victim")
sleep 5
scripts/cluster.sh kill "$victim"
echo "cluster test: contrail$victim killed (kill -9) under load (ingestion leaseholder: $was_leader)"
sleep 3
scripts/cluster.sh restart "$victim" || fail "contrail$victim did not restart"
echo "cluster test: contrail$victim restarted"
wait "$load_pid" || { cat "$CLUSTER_DIR/load.out"; fail "the load driver failed"; }
load_pid=""
cat "$CLUSTER_DIR/load.out"
python3 - "$CLUSTER_DIR/load.json" <<'PY' || fail "load through the kill"
import json, sys
d = json.load(open(sys.argv[1]))
for b in d["bad"]:
    print("  bad:", b)
assert not d["bad"], f"{d['counts'].get('bad')} answers were neither success, business nor retryable"
c = d["counts"]
assert c.get("order ok 201", 0) >= 20, f"too few bookings to judge: {c}"
unresolved = [o for o in d["orders"] if o["status"] not in (201, 409)]
assert not unresolved, unresolved[:5]
PY
# Every order settles (recovery every 2 s for orders untouched 5 s).
open=""
for _ in $(seq 1 60); do
  open=$(psql_q "SELECT count(*) FROM orders WHERE status NOT IN ('confirmed', 'failed')")
  [ "$open" = 0 ] && break
  sleep 0.5
done
[ "$open" = 0 ] || fail "$open orders never settled: $(psql_q "SELECT id, status FROM orders WHERE status NOT IN ('confirmed','failed')")"
psql_q "SELECT key || ' ' || coalesce(order_id, '') FROM idempotency_keys WHERE key LIKE 'cluster-%'" >"$CLUSTER_DIR/keys.txt"
psql_q "SELECT id || ' ' || status FROM orders" >"$CLUSTER_DIR/orders.txt"
python3 - "$CLUSTER_DIR/load.json" "$CLUSTER_DIR/keys.txt" "$CLUSTER_DIR/orders.txt" <<'PY' || fail "orders after the kill"
import json, sys
d = json.load(open(sys.argv[1]))
keys = dict(l.split(" ", 1) if " " in l else (l, "") for l in open(sys.argv[2]).read().split("\n") if l)
orders = dict(l.split(" ", 1) for l in open(sys.argv[3]).read().split("\n") if l)
confirmed_by_client = [o for o in d["orders"] if o["status"] == 201]
for o in confirmed_by_client:
    assert orders.get(o["order_id"]) == "confirmed", f"order {o} answered 201 is {orders.get(o['order_id'])}"
    assert keys.get(o["key"]) == o["order_id"], f"key {o['key']} names {keys.get(o['key'])}"
# One order per key, and no order without its key (nothing booked twice, nothing lost).
ids = [v for v in keys.values() if v]
assert len(ids) == len(set(ids)), "two keys name one order"
assert set(ids) == set(orders), f"orders without a key: {set(orders) - set(ids)}; keys without an order row: {set(ids) - set(orders)}"
retried = sum(1 for o in d["orders"] if o["attempts"] > 1)
print(f"cluster test: {len(orders)} orders ({sum(1 for s in orders.values() if s == 'confirmed')} confirmed),"
      f" {len(confirmed_by_client)} answered 201, {retried} bookings retried with their key")
PY
python3 - "$(promq 'min_over_time(up{job="contrail"}[2m])')" "${!victim_port_var}" <<'PY' || fail "Prometheus did not see the kill"
import json, sys
r = json.loads(sys.argv[1])["data"]["result"]
seen = {x["metric"]["instance"]: x["value"][1] for x in r}
assert seen.get("127.0.0.1:" + sys.argv[2]) == "0", seen
PY
ok "kill -9 under load: no order lost or doubled, every failure retryable; Prometheus saw contrail$victim down"
if [ -n "$(leader_of 1)" ]; then # the ingestion lease (cluster mode): exactly one holder again
  leaders=""
  for _ in $(seq 1 40); do
    leaders=$(($(leader_of 1) + $(leader_of 2) + $(leader_of 3)))
    [ "$leaders" = 1 ] && break
    sleep 0.5
  done
  [ "$leaders" = 1 ] || fail "$leaders instances hold the ingestion lease after the kill"
  ok "the ingestion lease has exactly one holder after the kill (contrail_cluster_leader)"
fi
if [ -n "${amqp_url:-}" ]; then # RabbitMQ (--amqp): every instance, the restarted one too, connected
  amqp=""
  for _ in $(seq 1 50); do
    amqp=$(promq 'sum(contrail_amqp_up) * 10 + count(contrail_amqp_dead_letters == 0)' |
      python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")')
    [ "$amqp" = 33 ] && break
    sleep 0.3
  done
  [ "$amqp" = 33 ] || fail "Prometheus: not three instances with contrail_amqp_up 1 and no dead letters ($amqp)"
  ok "RabbitMQ: the three instances connected (contrail_amqp_up), no dead letters"
fi

# ---- 4. Redis stopped
scripts/cluster.sh redis-stop
for i in $(seq 1 12); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.11 -X POST "$lb/api/v1/searches" \
    -H 'Content-Type: application/json' -d '{"slices":[{"origin":"LON","destination":"NYC","date":"'"$day"'"}],"limit":1}')
  [ "$code" = 200 ] || fail "search #$i with Redis down: $code"
done
lookup=$(curl -s -D - -o /dev/null --interface 127.0.0.12 "$lb/api/v1/orders/lookup?reference=ABC123&last_name=lovelace")
grep -q '^HTTP/1.1 503' <<<"$lookup" || fail "the booking lookup with Redis down: $(head -1 <<<"$lookup")"
grep -qi '^Retry-After:' <<<"$lookup" || fail "the lookup's 503 has no Retry-After"
down=0
for n in 1 2 3; do
  port_var="port_$n"
  v=$(curl -s "http://127.0.0.1:${!port_var}/metrics" | awk '$1 == "contrail_ratelimit_redis_up" {print $2}')
  [ "$v" = 0 ] && down=$((down + 1))
done
[ "$down" -ge 1 ] || fail "no instance reports contrail_ratelimit_redis_up 0"
ok "Redis down: search answers, limits fall back to the instances ($down report redis_up 0), lookup fails closed (503)"
scripts/cluster.sh redis-start
code=""
for _ in $(seq 1 40); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.13 "$lb/api/v1/orders/lookup?reference=ABC123&last_name=lovelace")
  [ "$code" = 404 ] && break
  sleep 0.25
done
[ "$code" = 404 ] || fail "the lookup after Redis came back: $code"
ok "Redis back: the lookup answers again (404 for an unknown reference)"
echo "cluster test: all checks passed"
