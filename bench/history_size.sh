#!/bin/sh
# history_size.sh: bytes per million price-history rows on SQLite and PostgreSQL.
#
# Creates route_price and price_observation with the project's migrations (0003, 0014),
# inserts N rows of each (default 1,000,000) shaped like real ones (route_price: 2,000
# routes of metro or airport codes x 25 departure days x 20 hourly buckets; price_observation:
# legs of 400 carriers, changes a few minutes apart), and prints the database's size per
# million rows, indexes included (SQLite: page_count * page_size after VACUUM; PostgreSQL:
# pg_total_relation_size after VACUUM). Usage: bench/history_size.sh [N] [postgres://...]
# (without a URL only SQLite is measured). docs/prices.md has the figures.
set -eu
n=${1:-1000000}
pg=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
mig="$root/src/store/migrations"
tmp=$(mktemp -d /tmp/history-size.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

route_rows="WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x + 1 < $n)
INSERT INTO route_price SELECT
  char(65 + x % 26, 65 + (x / 26) % 26, 65 + (x / 676) % 3),
  char(65 + (x / 7) % 26, 65 + (x / 182) % 26, 75 + (x / 4732) % 3),
  20800 + (x / 40000) % 25, 'economy', 'EUR', 3600, 1800000000 + (x % 20) * 3600 + (x / 2000) % 20 * 86400,
  20000 + (x * 7919) % 80000 FROM i;"
leg_rows="WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x + 1 < $n)
INSERT INTO price_observation SELECT
  'airline-' || (x % 5), char(65 + x % 20, 65 + (x / 20) % 20), 100 + (x / 400) % 9000,
  char(65 + x % 26, 65 + (x / 26) % 26, 65 + (x / 676) % 26),
  char(65 + (x / 3) % 26, 66 + (x / 78) % 24, 67 + (x / 1872) % 23),
  1800000000 + (x / 400) * 600, 'economy', 'Y', 20000 + (x * 7919) % 80000, 'EUR',
  1790000000 + x * 3 FROM i;"

sqlite_size() { # $1 table
  db="$tmp/$1.db"
  sqlite3 "$db" < "$mig/0003_prices.sql"
  sqlite3 "$db" < "$mig/0014_route_price.sql"
  if [ "$1" = route_price ]; then echo "$route_rows" | sqlite3 "$db"; else echo "$leg_rows" | sqlite3 "$db"; fi
  sqlite3 "$db" "VACUUM;"
  sqlite3 "$db" "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size();"
}

echo "rows per table: $n"
for t in route_price price_observation; do
  b=$(sqlite_size $t)
  echo "sqlite    $t: $b bytes, $(( b * 1000000 / n / 1048576 )) MiB per million rows ($(( b / n )) bytes a row)"
done

if [ -n "$pg" ]; then
  schema="history_size_$$"
  psql -q "$pg" -c "CREATE SCHEMA $schema"
  run() { PGOPTIONS="-c search_path=$schema" psql -q -v ON_ERROR_STOP=1 "$pg" "$@"; }
  run -f "$mig/0003_prices.sql"
  run -f "$mig/0014_route_price.sql"
  gen="generate_series(0, $n - 1) AS x"
  run -c "INSERT INTO route_price SELECT
    chr(65 + x % 26) || chr(65 + (x / 26) % 26) || chr(65 + (x / 676) % 3),
    chr(65 + (x / 7) % 26) || chr(65 + (x / 182) % 26) || chr(75 + (x / 4732) % 3),
    20800 + (x / 40000) % 25, 'economy', 'EUR', 3600,
    1800000000 + (x % 20) * 3600 + (x / 2000) % 20 * 86400, 20000 + (x::bigint * 7919) % 80000
    FROM $gen"
  run -c "INSERT INTO price_observation SELECT
    'airline-' || (x % 5), chr(65 + x % 20) || chr(65 + (x / 20) % 20), 100 + (x / 400) % 9000,
    chr(65 + x % 26) || chr(65 + (x / 26) % 26) || chr(65 + (x / 676) % 26),
    chr(65 + (x / 3) % 26) || chr(66 + (x / 78) % 24) || chr(67 + (x / 1872) % 23),
    1800000000 + (x / 400)::bigint * 600, 'economy', 'Y', 20000 + (x::bigint * 7919) % 80000,
    'EUR', 1790000000 + x::bigint * 3 FROM $gen"
  run -c "VACUUM ANALYZE route_price"
  run -c "VACUUM ANALYZE price_observation"
  for t in route_price price_observation; do
    b=$(run -At -c "SELECT pg_total_relation_size('$t')")
    echo "postgres  $t: $b bytes, $(( b * 1000000 / n / 1048576 )) MiB per million rows ($(( b / n )) bytes a row)"
  done
  psql -q "$pg" -c "DROP SCHEMA $schema CASCADE"
fi
