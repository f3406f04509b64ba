#!/usr/bin/env bash
# test.sh: everything `make test` runs, in order, stopping at the first failure:
#   1. deps (scripts/deps.sh) and the clang-format check;
#   2. Debug build + every C test on SQLite and on a throwaway PostgreSQL cluster;
#   3. the same under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3a. deploy/ checked offline (scripts/check-deploy.sh);
#   3b. the threaded suites (HTTP server, rate limits, search cache, ingest, pricebook,
#       history thread, upstream client, search with a concurrent writer) under ThreadSanitizer;
#   3c. clang-tidy (.clang-tidy) over every C file, zero findings (scripts/tidy.sh);
#   3d. the Release build, and the cluster test: scripts/cluster.sh's PostgreSQL, Redis, three
#       instances behind nginx and Prometheus, a kill -9 under load, the rate limit across
#       instances, Redis stopped (tests/cluster/test_cluster.sh, under two minutes);
#   4. a bounded libFuzzer run of every parser of outside input (scripts/fuzz.sh, 12 s each);
#   5. the web app's unit tests (Vitest) and production build;
#   6. the end-to-end test: the ASan server on a fresh database, driven by Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${JOBS:-2}

scripts/deps.sh

work=$(mktemp -d /tmp/contrail-test.XXXXXX)
pgdir=$(mktemp -d /tmp/contrail-pg.XXXXXX) # its own folder: the server's user must reach it
server_pid=""
idp_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$idp_pid" ] && kill "$idp_pid" 2>/dev/null || true
  scripts/pg-cluster.sh stop "$pgdir" || true
  rm -rf "$work"
}
trap cleanup EXIT

# The suites that run threads (ThreadSanitizer build).
tsan_suites='^(api/|broker/|ingest/|fares/test_pricebook$|http/|upstream/|app/test_history_job$|webhooks/)'
# search/test_search's brute-force comparisons take ten minutes under ThreadSanitizer: only
# its searches during concurrent writes run there.
tsan_search_filter='concurrent_writes'
# The booking and webhook tests that run whole `serve` processes with their sandbox world: timing-bound
# and minutes long under ThreadSanitizer; the threads they exercise are covered above.
tsan_skip='^api/(test_booking_crash|test_last_seat|test_orders_api|test_webhooks_serve)$'

suites_passed=0
suite_ok() { suites_passed=$((suites_passed + 1)); echo "== ok: $1"; }

echo "== clang-format"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests bench -name '*.[ch]')
clang-format --dry-run --Werror $files
suite_ok "clang-format"

echo "== PostgreSQL (throwaway cluster)"
CT_TEST_PG_URL=$(scripts/pg-cluster.sh start "$pgdir")
export CT_TEST_PG_URL CT_TEST_REQUIRE_PG=1
# The Redis tests (tests/http/test_ratelimit_redis.c) start their own redis-server: required here.
export CT_TEST_REQUIRE_REDIS=1
# The RabbitMQ tests (tests/broker/, tests/cli/test_amqp_cli.c) start their own rabbitmq-server.
export CT_TEST_REQUIRE_AMQP=1
echo "   $CT_TEST_PG_URL"

for type in Debug Asan; do
  dir=build/$(echo "$type" | tr 'A-Z' 'a-z')
  echo "== build $type"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=$type >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== C tests ($type, SQLite + PostgreSQL)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs"
  suite_ok "C tests ($type)"
done

echo "== deploy/ checked offline (nginx -t, YAML, flags, Dockerfile packages)"
scripts/check-deploy.sh build/debug/contrail
suite_ok "deploy"

echo "== build Tsan"
cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=Tsan >/dev/null
cmake --build build/tsan -j"$jobs"
echo "== threaded suites (ThreadSanitizer, SQLite + PostgreSQL)"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp \
  ctest --test-dir build/tsan --output-on-failure -j"$jobs" -R "$tsan_suites" -E "$tsan_skip"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp CT_TEST_FILTER="$tsan_search_filter" \
  CT_SOURCE_DIR="$root" build/tsan/tests/search_test_search
suite_ok "threaded suites (Tsan)"

echo "== clang-tidy"
JOBS=$jobs scripts/tidy.sh build/debug
suite_ok "clang-tidy"

echo "== build Release (what make run and make bench use)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$jobs"
suite_ok "Release build"

echo "== the cluster (PostgreSQL, Redis, three instances behind nginx, Prometheus; tests/cluster)"
tests/cluster/test_cluster.sh build/release
suite_ok "cluster"

echo "== fuzz every parser of outside input (libFuzzer + ASan + UBSan, 12 s each)"
scripts/fuzz.sh 12
suite_ok "fuzz"

echo "== web unit tests"
(cd web && npm test --silent)
suite_ok "web unit tests"
echo "== web build"
(cd web && npm run build --silent)

echo "== end-to-end (Chromium, ASan server)"
# Schedules for the search pages: the small sandbox world from today, imported like an
# operator's SSIM files.
build/asan/contrail-sandbox generate --size small --start "$(date -u +%F)" --out "$work/ssim" \
  --refdata-dir "$root/data/node_modules" --log-level warn >/dev/null
build/asan/contrail import ssim "$work"/ssim/*.ssim --schedules-dir "$work/schedules" >/dev/null
rm -f "$work/port"
ASAN_OPTIONS=detect_leaks=1 build/asan/contrail serve --db "sqlite:$work/e2e.db" --port 0 \
  --jwt-secret-file "$work/jwt.key" --schedules-dir "$work/schedules" \
  --timetable-cache "$work/timetable.bin" --webhook-allow-loopback true \
  --port-file "$work/port" --web-dir "$root/web/dist" --refdata-dir "$root/data/node_modules" \
  --access-log false >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/server.log"; echo "server did not start"; exit 1; }
base="http://127.0.0.1:$(cat "$work/port")"
for _ in $(seq 1 300); do # the schedules load in the background
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/api/v1/searches" \
    -H 'Content-Type: application/json' -d '{"slices":[{"origin":"LON","destination":"NYC","date":"'"$(date -u +%F)"'"}]}')
  [ "$code" = 200 ] && break
  sleep 0.1
done
[ "$code" = 200 ] || { cat "$work/server.log"; echo "schedules did not load ($code)"; exit 1; }
mkdir -p web/e2e/out
CT_BASE_URL="http://127.0.0.1:$(cat "$work/port")" CT_SCREENSHOT_DIR="$root/web/e2e/out" \
  node web/e2e/run.mjs
CT_BASE_URL="http://127.0.0.1:$(cat "$work/port")" CT_SCREENSHOT_DIR="$root/web/e2e/out" \
  node web/e2e/accounts.mjs
CT_BASE_URL="http://127.0.0.1:$(cat "$work/port")" CT_SCREENSHOT_DIR="$root/web/e2e/out" \
  node web/e2e/notifications.mjs
CT_BASE_URL="http://127.0.0.1:$(cat "$work/port")" CT_SCREENSHOT_DIR="$root/web/e2e/out" \
  node web/e2e/search.mjs
kill -TERM "$server_pid"
wait "$server_pid" || { cat "$work/server.log"; echo "server did not stop cleanly"; exit 1; }
server_pid=""
suite_ok "end-to-end"

echo "== end-to-end sign-in with the sandbox identity provider (Chromium, ASan server and IdP)"
# The provider must know the platform's callback URL before either starts: a free port for
# the platform, the provider on its own, then the platform told where the provider is.
web_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -f "$work/idp.port" "$work/port"
ASAN_OPTIONS=detect_leaks=1 build/asan/contrail-sandbox idp --port 0 --port-file "$work/idp.port" \
  --key-file "$work/idp-key.pem" --log-level warn \
  --redirect-uris "http://127.0.0.1:$web_port/api/v1/auth/oidc/sandbox/callback" >"$work/idp.log" 2>&1 &
idp_pid=$!
for _ in $(seq 1 300); do [ -s "$work/idp.port" ] && break; sleep 0.1; done
[ -s "$work/idp.port" ] || { cat "$work/idp.log"; echo "identity provider did not start"; exit 1; }
mkdir -p "$work/no-schedules"
ASAN_OPTIONS=detect_leaks=1 build/asan/contrail serve --db "sqlite:$work/e2e-oidc.db" --port "$web_port" \
  --jwt-secret-file "$work/jwt.key" --schedules-dir "$work/no-schedules" --timetable-cache "" \
  --oidc-issuer "http://127.0.0.1:$(cat "$work/idp.port")" --oidc-client-id contrail-web \
  --oidc-client-secret sandbox-idp-secret \
  --port-file "$work/port" --web-dir "$root/web/dist" --refdata-dir "$root/data/node_modules" \
  --access-log false >"$work/server-oidc.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/server-oidc.log"; echo "server did not start"; exit 1; }
CT_BASE_URL="http://127.0.0.1:$web_port" CT_SCREENSHOT_DIR="$root/web/e2e/out" node web/e2e/oidc.mjs
kill -TERM "$server_pid"
wait "$server_pid" || { cat "$work/server-oidc.log"; echo "server did not stop cleanly"; exit 1; }
server_pid=""
kill -TERM "$idp_pid"
wait "$idp_pid" || { cat "$work/idp.log"; echo "identity provider did not stop cleanly"; exit 1; }
idp_pid=""
suite_ok "end-to-end sign-in with an identity provider"

echo "== end-to-end with prices (Chromium, ASan server, the small sandbox world's providers)"
# The platform runs the sandbox world beside it and ingests its five providers' feeds; the
# priced pages are then driven like a user would.
mkdir -p "$work/no-schedules" # only the world's SSIM
smtp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -f "$work/port"
ASAN_OPTIONS=detect_leaks=1 build/asan/contrail serve --db "sqlite:$work/e2e-prices.db" --port 0 \
  --jwt-secret-file "$work/jwt.key" --schedules-dir "$work/no-schedules" \
  --timetable-cache "$work/timetable-prices.bin" --sandbox true --sandbox-size small \
  --sandbox-dir "$work/sandbox" --sandbox-smtp-port "$smtp_port" \
  --port-file "$work/port" --web-dir "$root/web/dist" --refdata-dir "$root/data/node_modules" \
  --history-flush-interval 1 --history-refresh-interval 1 \
  --access-log false >"$work/server-prices.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/server-prices.log"; echo "server did not start"; exit 1; }
base="http://127.0.0.1:$(cat "$work/port")"
priced_date=$(date -u -d '+9 days' +%F)
priced=""
for _ in $(seq 1 600); do # the world starts, schedules load, then the feeds are ingested
  priced=$(curl -s -X POST "$base/api/v1/searches" -H 'Content-Type: application/json' \
    -d '{"slices":[{"origin":"LON","destination":"NYC","date":"'"$priced_date"'"}],"limit":1}' |
    grep -o '"amount_minor"' | head -1 || true)
  [ -n "$priced" ] && break
  sleep 0.2
done
[ -n "$priced" ] || { tail -50 "$work/server-prices.log"; echo "no prices were ingested"; exit 1; }
CT_E2E_BASE="$base" CT_E2E_PRICED_FROM=LON CT_E2E_PRICED_TO=NYC CT_E2E_PRICED_DATE="$priced_date" \
  CT_SCREENSHOT_DIR="$root/web/e2e/out" node web/e2e/prices.mjs
# Price history and insight (issue 16) on the same server: its history thread writes and
# rebuilds every second (the flags above).
CT_E2E_BASE="$base" CT_E2E_PRICED_FROM=LON CT_E2E_PRICED_TO=NYC CT_E2E_PRICED_DATE="$priced_date" \
  CT_SCREENSHOT_DIR="$root/web/e2e/out" node web/e2e/history.mjs
# Booking against the same server: its providers and the sandbox payment processor.
CT_E2E_BASE="$base" CT_E2E_PRICED_FROM=LON CT_E2E_PRICED_TO=NYC CT_E2E_PRICED_DATE="$priced_date" \
  CT_SCREENSHOT_DIR="$root/web/e2e/out" node web/e2e/booking.mjs
# The phone number verified by a code the world's SMS gateway received.
CT_E2E_BASE="$base" CT_SANDBOX_DIR="$work/sandbox" CT_SCREENSHOT_DIR="$root/web/e2e/out" \
  node web/e2e/phone.mjs
kill -TERM "$server_pid"
wait "$server_pid" || { tail -50 "$work/server-prices.log"; echo "server did not stop cleanly"; exit 1; }
server_pid=""
suite_ok "end-to-end with prices and booking"

echo "suites: $suites_passed passed, 0 failed"
