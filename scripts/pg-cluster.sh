#!/usr/bin/env bash
# pg-cluster.sh start DIR | stop DIR | restart DIR | crash DIR | resume DIR
# Starts a throwaway PostgreSQL cluster in DIR on a free loopback port (trust auth, no
# network exposure) and prints its URL; stop shuts it down and removes DIR. As root the
# server runs as the `postgres` user, since PostgreSQL refuses to run as root.
# For the tests of what a database outage does: restart (a fast shutdown and start, as an
# upgrade or a failover would), crash (SIGKILL to the postmaster and its backends: the
# cluster stays down) and resume (starts a crashed or stopped cluster again on its port).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pg_ctl" ] || { echo "pg-cluster: PostgreSQL server not installed" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_server() { # DIR PORT
  as_owner "$bindir/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $2 -k $1 -c fsync=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$1/server.log" >&2; exit 1; }
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # A port free when probed can be taken before the server binds it (another cluster
  # starting at the same time): then the next one.
  started=""
  for p in $(seq 55432 55632); do
    if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then continue; fi
    if (start_server "$dir" "$p") 2>/dev/null; then started=$p; break; fi
  done
  [ -n "$started" ] || { cat "$dir/server.log" >&2; echo "pg-cluster: no free port" >&2; exit 1; }
  echo "$started" >"$dir/port"
  echo "postgres://postgres@127.0.0.1:$started/postgres"
  ;;
restart)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  start_server "$dir" "$(cat "$dir/port")"
  ;;
crash)
  pid=$(head -n 1 "$dir/data/postmaster.pid")
  pkill -KILL -P "$pid" 2>/dev/null || true # the backends
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  ;;
resume)
  start_server "$dir" "$(cat "$dir/port")"
  ;;
stop)
  if [ -d "$dir/data" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
