#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL when CI=true or TEST_DB=postgres.
set -euo pipefail
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=config.settings.test
unset DATABASE_URL
status=0
if [ "${TEST_DB:-}" != "postgres" ]; then
  echo "==> pytest on SQLite"
  $PY -m pytest -m "not postgres" "$@" || status=$?
fi
if [ "${CI:-}" = "true" ] || [ "${TEST_DB:-}" = "postgres" ]; then
  echo "==> pytest on PostgreSQL"
  source scripts/pg_test.sh
  trap pg_test_stop EXIT
  pg_test_start   # its own port and directory (PG_TEST_PORT / PG_TEST_DIR choose them)
  DATABASE_URL="$PG_TEST_URL" $PY -m pytest "$@" || status=$?
fi
exit $status
