#!/usr/bin/env bash
# deps.sh: installs what the build, the tests and `make run` need and is missing.
# Debian packages through apt-get (only the missing ones; apt-get update only when needed),
# then `npm ci` for the data packages (data/) and the web app (web/) when their lock file
# changed since the last install. Safe to run again: it does nothing when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config clang-format
  clang libclang-rt-14-dev # the fuzz drivers: clang -fsanitize=fuzzer (libFuzzer is in clang-rt)
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libicu-dev
  libcurl4-openssl-dev libsodium-dev libjwt-dev libcmocka-dev
  libssl-dev # libcrypto: RSA keys of the sandbox identity provider and JWK -> PEM (src/oidc);
             # the webhook tests check signatures with it (an implementation apart)
  libzxcvbn-dev # password strength and common-password dictionaries (accounts/credentials.c)
  libxgboost-dev # buy-or-wait: gradient-boosted trees through the C API (src/predict/)
  libhiredis-dev redis-server # cluster mode: rate limits shared in Redis (src/http/ratelimit_redis.c)
  librabbitmq-dev rabbitmq-server # cluster mode: domain events through RabbitMQ (src/broker/)
  postgresql chromium wrk nginx-light curl
  python3-yaml # scripts/check-deploy.sh parses deploy/'s YAML
  prometheus # the cluster test scrapes the instances (tests/cluster); promtool checks deploy/'s rules
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci when package-lock.json changed since the last successful install.
npm_install() {
  local dir=$1; shift
  local stamp="$dir/node_modules/.contrail-lock-stamp"
  local sum
  sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    return 0
  fi
  echo "deps: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error "$@")
  echo "$sum" > "$stamp"
}
npm_install data --ignore-scripts
npm_install web
