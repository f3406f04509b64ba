#!/usr/bin/env bash
# cluster.sh start | stop | status | kill N | restart N | redis-stop | redis-start
# The whole cluster of issue 17 on this machine, no system services: a throwaway PostgreSQL
# (scripts/pg-cluster.sh), redis-server, RabbitMQ (when the binary has --amqp; CLUSTER_AMQP=0|1
# to decide), the small sandbox world, three `contrail serve`
# instances on the shared PostgreSQL and Redis, nginx as the balancer (its configuration is
# deploy/nginx/nginx.conf with the upstreams pointed at the instances' ports) and Prometheus
# scraping the three (deploy/prometheus/, the same way). Everything lives in $CLUSTER_DIR
# (default var/cluster): one folder per server, its log, its pid file (pids/), ports in
# ports.env. `start` prints the balancer's URL; `stop` stops everything it started, by pid, and
# keeps the folder (the logs) unless CLUSTER_CLEAN=1. `kill N` is a kill -9 of instance N,
# `restart N` starts it again on its port (the cluster test, tests/cluster/test_cluster.sh).
#
# Each process is started in its own session (setsid) so `make cluster` can return; nginx
# connects to the instances from 127.0.0.2 (proxy_bind) and the instances trust only that
# address's X-Forwarded-For (--trusted-proxies), so a client on 127.0.0.1 (or any other
# 127.x address) is keyed by its own address and cannot choose its rate-limit key.
#
# Settings (environment): CLUSTER_DIR, CLUSTER_BIN (folder of contrail and contrail-sandbox,
# default build/release), CLUSTER_PORT (the balancer's port, default 8080, 0 = a free one),
# CLUSTER_SCHEDULE_DAYS (365), CLUSTER_PROMETHEUS (1), CLUSTER_EXTRA (more serve flags),
# CLUSTER_INSTANCES (3; fewer leave the other upstreams out of nginx's configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${CLUSTER_DIR:-var/cluster}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=${CLUSTER_BIN:-build/release}
instances=${CLUSTER_INSTANCES:-3} # 1 to 3 (bench/cluster.sh measures 1 and 3)

free_port() { # a free loopback port (the kernel's choice)
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() { # PORT SECONDS: until something listens on 127.0.0.1:PORT
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

alive() { [ -s "$dir/pids/$1.pid" ] && kill -0 "$(cat "$dir/pids/$1.pid")" 2>/dev/null; }

spawn() { # NAME LOG CMD...: CMD in its own session, its pid in pids/NAME.pid
  local name=$1 log=$2
  shift 2
  setsid "$@" >"$log" 2>&1 </dev/null &
  echo $! >"$dir/pids/$name.pid"
}

stop_pid() { # NAME: TERM, up to 15 s, then KILL
  local f=$dir/pids/$1.pid pid i
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  # Each process leads its own session and process group (spawn): the group goes, so a
  # child it started (the world's servers, RabbitMQ's Erlang VM) does not stay behind.
  if kill -TERM "$pid" 2>/dev/null; then
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$f"
}

start_pg() {
  [ -s "$dir/pg/port" ] && [ -s "$dir/pg/data/postmaster.pid" ] && return 0
  rm -rf "$dir/pg"
  chmod 755 "$dir" # as root the server runs as postgres, which must reach its folder
  pg_url=$(scripts/pg-cluster.sh start "$dir/pg")
  echo "pg_url=$pg_url" >>"$dir/ports.env"
}

redis_start() {
  alive redis && return 0
  mkdir -p "$dir/redis"
  spawn redis "$dir/redis/redis.log" redis-server --bind 127.0.0.1 --port "$redis_port" \
    --dir "$dir/redis" --save '' --appendonly no --daemonize no
  wait_port "$redis_port" 10 || { cat "$dir/redis/redis.log" >&2; exit 1; }
}

# RabbitMQ when the binary has --amqp (issue 17; CLUSTER_AMQP=0 leaves it out, 1 starts it even
# without): rabbitmq-server in the foreground with its own ports, epmd, directories and
# HOME (the Erlang cookie rabbitmqctl needs), the guest user allowed from loopback.
rabbit_wanted() {
  case "${CLUSTER_AMQP:-auto}" in
  0) return 1 ;;
  1) return 0 ;;
  esac
  local help
  help=$("$root/$bin/contrail" help 2>/dev/null || true) # not piped: grep -q would cut it short
  grep -q -- '--amqp ' <<<"$help"
}

rabbit_env() { # the variables of the node, for the server and rabbitmqctl
  local r=$dir/rabbitmq
  export HOME=$r RABBITMQ_NODENAME="contrail$amqp_port@localhost" ERL_EPMD_PORT=$epmd_port \
    RABBITMQ_NODE_PORT=$amqp_port RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=$dist_port \
    RABBITMQ_MNESIA_BASE=$r/mnesia RABBITMQ_LOG_BASE=$r/log RABBITMQ_CONFIG_FILE=$r/rabbitmq \
    RABBITMQ_ENABLED_PLUGINS_FILE=$r/enabled_plugins RABBITMQ_CONF_ENV_FILE=$r/rabbitmq-env.conf \
    RABBITMQ_PID_FILE=$r/node.pid
}

answers_amqp() { # PORT: the listener answers the protocol header with a frame (boot done)
  python3 - "$1" 2>/dev/null <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
s.settimeout(2)
s.sendall(b"AMQP\0\0\x09\x01")
sys.exit(0 if s.recv(1) == b"\x01" else 1)
PY
}

rabbit_start() {
  rabbit_wanted || return 0
  alive rabbitmq && return 0
  local r=$dir/rabbitmq i
  mkdir -p "$r"
  printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\nlog.console = false\nlog.file.level = warning\n' \
    "$amqp_port" >"$r/rabbitmq.conf"
  echo '[].' >"$r/enabled_plugins"
  : >"$r/rabbitmq-env.conf"
  (rabbit_env && spawn epmd "$r/epmd.log" epmd -port "$epmd_port" -address 127.0.0.1)
  (rabbit_env && spawn rabbitmq "$r/server.out" /usr/lib/rabbitmq/bin/rabbitmq-server)
  for ((i = 0; i < 1200; i++)); do
    answers_amqp "$amqp_port" && break
    sleep 0.1
  done
  [ "$i" -lt 1200 ] || { tail -20 "$r/server.out" >&2; echo "cluster: RabbitMQ did not start" >&2; exit 1; }
  amqp_url="amqp://guest:guest@127.0.0.1:$amqp_port/%2f"
  echo "amqp_url=$amqp_url" >>"$dir/ports.env"
}

rabbit_stop() {
  alive rabbitmq || { stop_pid epmd; return 0; }
  (rabbit_env && timeout 30 /usr/lib/rabbitmq/bin/rabbitmqctl -q stop >/dev/null 2>&1) || true
  stop_pid rabbitmq
  stop_pid epmd
}

start_world() {
  alive world && return 0
  rm -rf "$dir/world"
  spawn world "$dir/world.log" "$root/$bin/contrail-sandbox" world --dir "$dir/world" \
    --size small --smtp-port 0 --refdata-dir "$root/data/node_modules" --log-level warn
  local i
  for ((i = 0; i < 1200; i++)); do [ -s "$dir/world/world.json" ] && return 0; sleep 0.1; done
  cat "$dir/world.log" >&2
  echo "cluster: the sandbox world did not start" >&2
  exit 1
}

instance_start() { # N
  local n=$1 port_var="port_$1"
  alive "contrail$n" && return 0
  mkdir -p "$dir/contrail$n" "$dir/none"
  local web=""
  [ -f "$root/web/dist/index.html" ] && web="$root/web/dist"
  # shellcheck disable=SC2086 # CLUSTER_EXTRA is a list of flags
  spawn "contrail$n" "$dir/contrail$n/serve.log" "$root/$bin/contrail" serve --db "$pg_url" \
    --redis "redis://127.0.0.1:$redis_port" --trusted-proxies 127.0.0.2 --per-ip-connections 0 \
    --host 127.0.0.1 --port "${!port_var}" --reuse-port false \
    --jwt-secret-file "$dir/jwt.key" --web-dir "$web" --refdata-dir "$root/data/node_modules" \
    --schedules-dir "$dir/none" --schedule-days "${CLUSTER_SCHEDULE_DAYS:-365}" \
    --timetable-cache "$dir/contrail$n/timetable.bin" \
    --pricebook-cache "$dir/contrail$n/pricebook.bin" --sandbox-world "$dir/world" \
    --public-url "http://127.0.0.1:$lb_port" --http-queue 256 \
    --booking-recovery-every 2 --booking-recovery-age 5 --access-log false \
    ${amqp_url:+--amqp "$amqp_url"} ${CLUSTER_EXTRA:-}
}

instance_wait() { # N SECONDS: until /readyz answers 200
  local n=$1 port_var="port_$1" i
  for ((i = 0; i < $2 * 10; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${!port_var}/readyz")" = 200 ] \
      && return 0
    alive "contrail$n" || break
    sleep 0.1
  done
  tail -20 "$dir/contrail$n/serve.log" >&2
  echo "cluster: contrail$n is not ready" >&2
  return 1
}

# deploy/nginx/nginx.conf as it runs here: the instances' ports, the balancer's port, logs and
# temporary files in the folder, and connections to the instances from 127.0.0.2.
nginx_conf() {
  sed -E -e "s#^error_log .*#error_log $dir/nginx/error.log warn;#" \
    -e "s#access_log /dev/stdout;#access_log $dir/nginx/access.log;#" \
    -e "s#^(\s*)listen 80;#\1listen 127.0.0.1:$lb_port;#" \
    -e "s#^(\s*)proxy_pass http://contrail;#&\n\1proxy_bind 127.0.0.2;#" \
    -e "s#^http \{#&\n    client_body_temp_path $dir/nginx/tmp/body;\n    proxy_temp_path $dir/nginx/tmp/proxy;\n    fastcgi_temp_path $dir/nginx/tmp/fastcgi;\n    uwsgi_temp_path $dir/nginx/tmp/uwsgi;\n    scgi_temp_path $dir/nginx/tmp/scgi;#" \
    -e "s#server contrail1:8080#server 127.0.0.1:$port_1#" \
    -e "s#server contrail2:8080#server 127.0.0.1:$port_2#" \
    -e "s#server contrail3:8080#server 127.0.0.1:$port_3#" \
    deploy/nginx/nginx.conf >"$dir/nginx/nginx.conf"
  local n
  for ((n = instances + 1; n <= 3; n++)); do
    local port_var="port_$n"
    sed -i "/server 127.0.0.1:${!port_var} /d" "$dir/nginx/nginx.conf"
  done
}

start_nginx() {
  alive nginx && return 0
  mkdir -p "$dir/nginx/tmp"
  chmod 1777 "$dir/nginx/tmp" # as root, nginx's workers run as nobody
  nginx_conf
  spawn nginx "$dir/nginx/nginx.log" nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" -e "$dir/nginx/error.log" \
    -g "daemon off; pid $dir/nginx/nginx.pid;"
  wait_port "$lb_port" 10 || { cat "$dir/nginx/nginx.log" "$dir/nginx/error.log" >&2; exit 1; }
}

# deploy/prometheus/prometheus.yml as it runs here: the instances' ports, scraped every second.
start_prometheus() {
  [ "${CLUSTER_PROMETHEUS:-1}" = 1 ] || return 0
  alive prometheus && return 0
  mkdir -p "$dir/prometheus"
  cp deploy/prometheus/alerts.yml "$dir/prometheus/alerts.yml"
  sed -E -e "s#(scrape|evaluation)_interval: .*#\1_interval: 1s#" \
    -e "s#contrail1:8080#127.0.0.1:$port_1#" -e "s#contrail2:8080#127.0.0.1:$port_2#" \
    -e "s#contrail3:8080#127.0.0.1:$port_3#" \
    deploy/prometheus/prometheus.yml >"$dir/prometheus/prometheus.yml"
  spawn prometheus "$dir/prometheus/prometheus.log" prometheus \
    --config.file "$dir/prometheus/prometheus.yml" --storage.tsdb.path "$dir/prometheus/data" \
    --web.listen-address "127.0.0.1:$prom_port" --storage.tsdb.retention.time 1d
  wait_port "$prom_port" 30 || { tail -20 "$dir/prometheus/prometheus.log" >&2; exit 1; }
}

load_ports() {
  # shellcheck disable=SC1091
  [ -f "$dir/ports.env" ] && . "$dir/ports.env"
  return 0
}

start() {
  mkdir -p "$dir/pids"
  load_ports
  if [ -z "${lb_port:-}" ]; then
    lb_port=${CLUSTER_PORT:-8080}
    [ "$lb_port" = 0 ] && lb_port=$(free_port)
    { echo "lb_port=$lb_port"; echo "redis_port=$(free_port)"; echo "prom_port=$(free_port)"
      echo "amqp_port=$(free_port)"; echo "dist_port=$(free_port)"; echo "epmd_port=$(free_port)"
      for n in 1 2 3; do echo "port_$n=$(free_port)"; done; } >"$dir/ports.env"
    load_ports
  fi
  [ -x "$bin/contrail" ] && [ -x "$bin/contrail-sandbox" ] || { echo "cluster: $bin/contrail not built" >&2; exit 1; }
  start_pg
  load_ports
  redis_start
  rabbit_start
  start_world
  "$bin/contrail" migrate --db "$pg_url" --log-level warn >"$dir/migrate.log" 2>&1 \
    || { cat "$dir/migrate.log" >&2; exit 1; }
  # The reference data is imported by the instances themselves: all three start at once on
  # the empty database, one import commits and the others' conflict is taken as done.
  for n in $(seq 1 $instances); do instance_start "$n"; done
  for n in $(seq 1 $instances); do instance_wait "$n" 600; done
  start_nginx
  start_prometheus
  echo "http://127.0.0.1:$lb_port"
}

stop() {
  load_ports
  for name in prometheus nginx contrail1 contrail2 contrail3 world redis; do stop_pid "$name"; done
  rabbit_stop
  [ -d "$dir/pg" ] && scripts/pg-cluster.sh stop "$dir/pg"
  rm -f "$dir/ports.env"
  [ "${CLUSTER_CLEAN:-0}" = 1 ] && rm -rf "$dir"
  return 0
}

status() {
  load_ports
  for name in world redis rabbitmq contrail1 contrail2 contrail3 nginx prometheus; do
    if alive "$name"; then echo "$name: running (pid $(cat "$dir/pids/$name.pid"))"; else echo "$name: stopped"; fi
  done
  [ -n "${lb_port:-}" ] && echo "balancer: http://127.0.0.1:$lb_port"
  [ -n "${prom_port:-}" ] && echo "prometheus: http://127.0.0.1:$prom_port"
  [ -n "${pg_url:-}" ] && echo "database: $pg_url"
  [ -n "${redis_port:-}" ] && echo "redis: redis://127.0.0.1:$redis_port"
  [ -n "${amqp_url:-}" ] && echo "rabbitmq: $amqp_url"
  return 0
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
kill) # N: kill -9 of instance N
  [ -s "$dir/pids/contrail${2:?N}.pid" ] && kill -KILL "$(cat "$dir/pids/contrail$2.pid")" || true
  ;;
restart) # N: start instance N again (after kill) and wait until it is ready
  load_ports
  stop_pid "contrail${2:?N}"
  instance_start "$2"
  instance_wait "$2" 300
  ;;
redis-stop) stop_pid redis ;;
redis-start) load_ports; redis_start ;;
*) echo "usage: $0 start|stop|status|kill N|restart N|redis-stop|redis-start" >&2; exit 2 ;;
esac
