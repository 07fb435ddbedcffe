#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the tests: Debian's server
# binaries, run as the postgres user, data in a temporary directory, on a
# loopback port with trust authentication (nothing but this machine can
# reach it). Source it: it exports HERALD_TEST_POSTGRES_DSN and PG_CI_DIR;
# stop it with `pg_stop_ci` (or let the trap in .ci/run call it).
#   . .ci/postgres.sh [port]
PG_CI_PORT="${1:-${PG_CI_PORT:-55432}}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$PG_BIN/postgres" ]; then
  echo "== install postgresql 15"
  if ! apt-cache policy postgresql-15 2>/dev/null | grep -q 'Candidate: [0-9]'; then apt-get update -qq; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
fi
PG_CI_DIR="$(mktemp -d /tmp/herald-pg.XXXXXX)"
chmod 755 "$PG_CI_DIR"
PG_USER=postgres
if [ "$(id -u)" != 0 ]; then PG_USER="$(id -un)"; fi
as_pg() { if [ "$(id -u)" = 0 ]; then su -s /bin/sh postgres -c "$*"; else sh -c "$*"; fi; }
mkdir -p "$PG_CI_DIR/data" "$PG_CI_DIR/run"
[ "$(id -u)" = 0 ] && chown -R postgres "$PG_CI_DIR"
as_pg "'$PG_BIN/initdb' -D '$PG_CI_DIR/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >'$PG_CI_DIR/initdb.log' 2>&1"
# fsync off: a test cluster thrown away at the end needs no durability.
as_pg "'$PG_BIN/pg_ctl' -D '$PG_CI_DIR/data' -l '$PG_CI_DIR/postgres.log' -w -o \"-p $PG_CI_PORT -k $PG_CI_DIR/run -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400\" start >/dev/null"
export PG_CI_DIR PG_CI_BIN="$PG_BIN"
export HERALD_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:$PG_CI_PORT/postgres?sslmode=disable"
pg_stop_ci() {
  as_pg "'$PG_BIN/pg_ctl' -D '$PG_CI_DIR/data' -m immediate stop >/dev/null 2>&1" || true
  rm -rf "$PG_CI_DIR"
}
echo "== postgresql on 127.0.0.1:$PG_CI_PORT ($PG_CI_DIR)"
