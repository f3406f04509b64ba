#!/usr/bin/env bash
# bench.sh: every benchmark, each printing percentiles and ratios against a peer measured in
# the same run (`make bench`). Not part of `make test`: figures, not pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
pgdir=$(mktemp -d /tmp/contrail-bench-pg.XXXXXX)
trap 'scripts/pg-cluster.sh stop "$pgdir"' EXIT
echo "== autocomplete in process (peer: SQL LIKE on SQLite and PostgreSQL)"
pg_url=$(scripts/pg-cluster.sh start "$pgdir")
CT_BENCH_PG_URL=$pg_url build/release/bench_autocomplete data/node_modules 200 2>/dev/null
echo
echo "== SSIM reader (peers: fgets + sscanf, raw read + memchr line count)"
build/release/bench_ssim
echo
echo "== accounts: sign-ins and token verifications (peers: bare libsodium)"
build/release/bench_accounts 40 2>/dev/null
echo
echo "== notifications per channel through the hub (peers: the channel's bare work)"
CT_BENCH_PG_URL=$pg_url build/release/bench_notify 1000 2>/dev/null
echo
echo "== search answer cache: per instance against a Redis-shared one (its own redis-server)"
build/release/bench_cache 17.8 2000 2>/dev/null | grep -v '^\['
echo
echo "== sandbox world generation and SSIM (peer: writing the same bytes)"
bench/world.sh
echo
echo "== one-way search on the default world (peers: SQL self-joins in SQLite and PostgreSQL)"
CT_BENCH_PG_URL=$pg_url build/release/bench_search data/node_modules "${SEARCH_DAYS:-365}" 20 2>/dev/null
echo
echo "== serve start-up to the first search answer, one-year timetable (cold, warm cache, evicted)"
bench/startup.sh
echo
echo "== HTTP (peer: nginx serving a static file)"
bench/http.sh
echo
echo "== booking: end-to-end orders on the sandbox world, faults off (peer: the saga's calls made directly)"
PG=1 bench/orders.sh
echo
echo "== the cluster: searches and bookings with 1 and 3 instances behind nginx (peer: straight to an instance; the saga's calls made directly)"
bench/cluster.sh
