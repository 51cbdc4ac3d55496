#!/usr/bin/env bash
# Finds or makes a PostgreSQL server for the test suites and exports TEST_DATABASE_URL.
# Sourced by scripts/test.sh; safe to source on a machine with nothing installed.

pg_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

server_answers() { # host port
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2" -U postgres 2>/dev/null
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

install_postgres() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then return 1; fi
  echo "Installing PostgreSQL from Debian packages…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq postgresql-15 >/dev/null \
    || apt-get install -y -qq postgresql >/dev/null
}

start_throwaway_cluster() {
  local bin dir port
  bin="$(pg_bin_dir)"
  [ -n "$bin" ] || return 1
  dir="$(mktemp -d /tmp/omnia-pg.XXXXXX)"
  port=55432
  while server_answers 127.0.0.1 "$port"; do port=$((port + 1)); done
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k /tmp -c fsync=off" -l "$dir/log" -w start >/dev/null
    trap "runuser -u postgres -- '$bin/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1; rm -rf '$dir'" EXIT
  else
    "$bin/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
    "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k /tmp -c fsync=off" -l "$dir/log" -w start >/dev/null
    trap "'$bin/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1; rm -rf '$dir'" EXIT
  fi
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:${port}/postgres"
}

ensure_test_postgres() {
  if server_answers 127.0.0.1 5432; then
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
    return 0
  fi
  if [ -z "$(pg_bin_dir)" ]; then install_postgres || true; fi
  start_throwaway_cluster || true
  if [ -z "${TEST_DATABASE_URL:-}" ] && [ "${CI:-}" = "true" ]; then
    echo "CI=true but no PostgreSQL server could be found, installed or started" >&2
    exit 1
  fi
}
