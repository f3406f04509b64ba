#!/usr/bin/env bash
# bench.sh: every benchmark, each printing percentiles and ratios against a peer measured in
# the same run (`make bench`). Not part of `make test`: figures, not pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/contrail-bench-pg.XXXXXX)
trap 'scripts/pg-cluster.sh stop "$work/pg"' EXIT
echo "== autocomplete in process (peer: SQL LIKE on SQLite and PostgreSQL)"
CT_BENCH_PG_URL=$(scripts/pg-cluster.sh start "$work/pg") \
  build/release/bench_autocomplete data/node_modules 200 2>/dev/null
echo
echo "== HTTP (peer: nginx serving a static file)"
bench/http.sh
