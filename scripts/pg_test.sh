#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test run: its own data directory and
# port, trust auth on the loopback only, removed afterwards.
PG_TEST_PORT=${PG_TEST_PORT:-54329}
PG_TEST_DIR=${PG_TEST_DIR:-/tmp/cases-pg-test}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PG_TEST_URL="postgres://cases@127.0.0.1:${PG_TEST_PORT}/cases"

_pg_as() {  # run a command as the cluster owner (postgres when we are root)
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_test_start() {
  if [ -z "$PG_BIN" ]; then echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; fi
  pg_test_stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"; mkdir -p "$PG_TEST_DIR"
  [ "$(id -u)" = "0" ] && chown postgres "$PG_TEST_DIR"
  _pg_as "$PG_BIN/initdb" -D "$PG_TEST_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  _pg_as "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w \
    -o "-p $PG_TEST_PORT -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  _pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -q -c "CREATE ROLE cases LOGIN CREATEDB SUPERUSER" >/dev/null
  _pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -q -c "CREATE DATABASE cases OWNER cases" >/dev/null
  echo "PostgreSQL test cluster on 127.0.0.1:$PG_TEST_PORT"
}

pg_test_stop() {
  [ -d "$PG_TEST_DIR/data" ] && _pg_as "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
}
