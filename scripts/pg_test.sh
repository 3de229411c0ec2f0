#!/usr/bin/env bash
# A throwaway PostgreSQL cluster: trust auth on the loopback only, removed
# afterwards. Source this file, then:
#
#   pg_test_start   # sets PG_TEST_PORT, PG_TEST_DIR, PG_TEST_URL and starts the cluster
#   pg_test_stop    # stops the cluster this shell started and removes its directory
#
# Each run gets its own directory (mktemp -d) and a port that is free at run
# time, so two runs on one machine (two worktrees, CI next to a developer,
# `make test` next to `make prod-check`) never meet. PG_TEST_PORT and
# PG_TEST_DIR choose them instead; a directory given that way is reused only
# when it holds nothing but an earlier throwaway cluster of this script, and
# a cluster still running there is stopped first (it is that run's leftover).
# Nothing else is ever stopped or removed.

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PG_TEST_MARK=".cases-pg-test"   # marks a directory as made by this script
_PG_TEST_OURS=""                # set once this shell owns a running cluster

_pg_given() {  # the value of $1 if it came from the environment (exported), else nothing
  [[ "$(declare -p "$1" 2>/dev/null)" == "declare -x"* ]] && printf '%s' "${!1}"
  return 0
}

_pg_as() {  # run a command as the cluster owner (postgres when we are root)
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_pg_free_port() {  # a TCP port nobody listens on right now (the kernel's choice)
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_pg_port_busy() {
  python3 -c 'import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
}

_pg_prepare_dir() {  # given PG_TEST_DIR: reuse it only if it is ours (or empty)
  local dir=$1
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    if [ ! -e "$dir/$PG_TEST_MARK" ] && [ ! -e "$dir/data/PG_VERSION" ]; then
      echo "pg_test: $dir is not empty and is not a throwaway cluster of this script; refusing to touch it" >&2
      return 1
    fi
    if [ -e "$dir/data/postmaster.pid" ]; then
      echo "pg_test: stopping the leftover throwaway cluster in $dir" >&2
      _pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
}

pg_test_start() {
  if [ -z "$PG_BIN" ]; then
    echo "pg_test: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    return 1
  fi
  # Only exported values are requests: the values an earlier pg_test_start
  # chose (plain shell variables) must not make a nested run reuse its cluster.
  local port_given dir_given attempt
  port_given=$(_pg_given PG_TEST_PORT)
  dir_given=$(_pg_given PG_TEST_DIR)
  if [ -n "$dir_given" ]; then
    PG_TEST_DIR=$dir_given
    _pg_prepare_dir "$PG_TEST_DIR" || return 1
  else
    PG_TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cases-pg-test.XXXXXX")
  fi
  touch "$PG_TEST_DIR/$PG_TEST_MARK"
  if [ "$(id -u)" = "0" ]; then chown -R postgres "$PG_TEST_DIR"; fi
  _pg_as "$PG_BIN/initdb" -D "$PG_TEST_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PG_TEST_DIR/initdb.log" 2>&1 || {
    echo "pg_test: initdb failed:" >&2; tail -20 "$PG_TEST_DIR/initdb.log" >&2; return 1; }
  _PG_TEST_OURS=1  # from here on pg_test_stop stops and removes it
  for attempt in 1 2 3; do
    if [ -n "$port_given" ]; then
      PG_TEST_PORT=$port_given
      if _pg_port_busy "$PG_TEST_PORT"; then
        echo "pg_test: port $PG_TEST_PORT (PG_TEST_PORT) is already in use" >&2
        return 1
      fi
    else
      PG_TEST_PORT=$(_pg_free_port)
    fi
    if _pg_as "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w -t 60 \
        -o "-p $PG_TEST_PORT -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
      break
    fi
    # Someone took the port between our look and the server's bind: try another.
    [ -z "$port_given" ] && [ "$attempt" -lt 3 ] && continue
    echo "pg_test: PostgreSQL did not start (log $PG_TEST_DIR/log):" >&2
    tail -20 "$PG_TEST_DIR/log" >&2
    return 1
  done
  PG_TEST_URL="postgres://cases@127.0.0.1:${PG_TEST_PORT}/cases"
  _pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -q -c "CREATE ROLE cases LOGIN CREATEDB SUPERUSER" >/dev/null
  _pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -q -c "CREATE DATABASE cases OWNER cases" >/dev/null
  # Not exported: a nested run must choose its own cluster, never reuse (and wipe) this one.
  echo "PostgreSQL test cluster on 127.0.0.1:$PG_TEST_PORT ($PG_TEST_DIR)"
}

pg_test_stop() {  # only the cluster this shell started; safe to call twice
  if [ -n "$_PG_TEST_OURS" ] && [ -d "${PG_TEST_DIR:-}/data" ]; then
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || _pg_as "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -n "${PG_TEST_DIR:-}" ] && [ -e "$PG_TEST_DIR/$PG_TEST_MARK" ]; then
    rm -rf "$PG_TEST_DIR"
  fi
  _PG_TEST_OURS=""
  return 0
}
