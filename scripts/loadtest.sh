#!/usr/bin/env bash
# make loadtest: the load test of issue 11. Never part of `make test` or CI (minutes, and
# the 100k data set alone takes several of them).
#
# On a throwaway PostgreSQL cluster (scripts/pg_test.sh, tuned below) and a Redis server of
# its own (free ports, temporary directories; never a system service), with
# config.settings.production: migrate, collectstatic, the demo data, the data set of
# bench/scale.py (LOADTEST_PROPOSALS, default 100000 proposal processes), passwords for the
# bench accounts; then gunicorn with LOADTEST_WORKERS (4) sync workers, and Locust headless
# (bench/locustfile.py) with LOADTEST_USERS (50) users spawned LOADTEST_SPAWN_RATE (10) a
# second, measured for LOADTEST_DURATION (60) seconds from the moment every user has signed in
# (the sign-in phase is reported apart). LOADTEST_WAIT ("1,3") is each user's pause between
# requests. Figures: bench/results/loadtest.json (LOADTEST_RESULTS) and a summary.
# Any error (5xx, unexpected status) or a 5xx in gunicorn's access log: non-zero exit.
# Everything it started is stopped on exit, failure or not.
#
# Nothing of the security settings is relaxed: the simulated users sign in correctly once each
# (django-axes counts failures only), are staff roles without a second factor (administrators
# are not simulated), and use sessions, not the throttled token endpoint.
#
# KEEP_LOADTEST=1 keeps the work directory (logs, Locust CSV) afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV_BIN=$ROOT/.venv/bin
PY=$VENV_BIN/python
START=$SECONDS

PROPOSALS=${LOADTEST_PROPOSALS:-100000}
USERS=${LOADTEST_USERS:-50}
SPAWN_RATE=${LOADTEST_SPAWN_RATE:-10}
DURATION=${LOADTEST_DURATION:-60}
DURATION=${DURATION%s}  # seconds, measured after every user has signed in
WORKERS=${LOADTEST_WORKERS:-4}
RESULTS=${LOADTEST_RESULTS:-$ROOT/bench/results/loadtest.json}

[ -x "$VENV_BIN/locust" ] || { echo "loadtest: locust is not installed in .venv (pip install -r requirements-dev.txt)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cases-loadtest.XXXXXX")
chmod 755 "$WORK"
LOGS=$WORK/log
mkdir -p "$LOGS" "$WORK/redis"
STEP="start"
REDIS_PID=""
GUNICORN_PID=""
source scripts/pg_test.sh

step() { STEP=$1; echo "==> $STEP ($((SECONDS - START)) s)"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ -n "$GUNICORN_PID" ] && ! kill -0 "$GUNICORN_PID" 2>/dev/null; then echo "loadtest: gunicorn exited while waiting for $what" >&2; return 1; fi
    if [ $SECONDS -ge $deadline ]; then echo "loadtest: no $what after ${limit}s" >&2; return 1; fi
    sleep 0.5
  done
}

stop_pid() {  # stop_pid PID: TERM, then KILL after 20 s
  local pid=$1 deadline=$((SECONDS + 20))
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

on_exit() {
  local status=$?
  trap - EXIT INT TERM
  if [ $status -ne 0 ]; then
    echo >&2
    echo "loadtest FAILED (exit $status) at step: $STEP" >&2
    for f in gunicorn.log redis.log; do
      [ -s "$LOGS/$f" ] || continue
      echo "----- last lines of $f" >&2
      tail -n 40 "$LOGS/$f" >&2
    done
    if [ -n "${PG_TEST_DIR:-}" ] && [ -s "$PG_TEST_DIR/log" ]; then
      echo "----- last lines of the PostgreSQL log" >&2
      tail -n 20 "$PG_TEST_DIR/log" >&2
    fi
  fi
  echo "==> stopping gunicorn, Redis, PostgreSQL"
  stop_pid "$GUNICORN_PID"
  stop_pid "$REDIS_PID"
  pg_test_stop
  if [ "${KEEP_LOADTEST:-}" = "1" ]; then echo "==> work directory kept: $WORK"; else rm -rf "$WORK"; fi
  exit $status
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- servers of our own ------------------------------------------------------------------
step "PostgreSQL (throwaway cluster, tuned for a bulk load and a read-mostly run)"
pg_test_start
# pg_test.sh already runs with fsync, synchronous_commit and full_page_writes off (throwaway data).
# For the 100k build and the run: bigger buffers and WAL, fewer checkpoints. shared_buffers needs
# a restart; pg_ctl restart keeps the start's options (postmaster.opts).
_pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -q \
  -c "ALTER SYSTEM SET shared_buffers = '1GB'" \
  -c "ALTER SYSTEM SET effective_cache_size = '4GB'" \
  -c "ALTER SYSTEM SET work_mem = '16MB'" \
  -c "ALTER SYSTEM SET maintenance_work_mem = '256MB'" \
  -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
  -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" \
  -c "ALTER SYSTEM SET random_page_cost = 1.1" >/dev/null
_pg_as "$PG_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w -t 60 restart >/dev/null

step "Redis (own port and directory)"
REDIS_BIN=$(command -v redis-server || true)
[ -n "$REDIS_BIN" ] || { echo "loadtest: redis-server not found (make sysdeps-prod-check)" >&2; exit 1; }
REDIS_PORT=$(free_port)
"$REDIS_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" --save '' --appendonly no \
  --daemonize no --logfile "$LOGS/redis.log" &
REDIS_PID=$!
wait_for 20 "Redis answering on port $REDIS_PORT" "$PY" -c \
  "import redis, sys; sys.exit(0 if redis.Redis(port=$REDIS_PORT, socket_timeout=1).ping() else 1)"

# --- the production environment (as scripts/prod_check.sh): nothing from the caller's .env -------
for var in $(compgen -e); do
  case $var in DJANGO_*|CELERY_*|FIELD_ENCRYPTION_*|DATABASE_URL|DB_CONN_MAX_AGE|STATIC_ROOT|MEDIA_ROOT|SQLITE_*|CACHE_URL) unset "$var" ;; esac
done
WEB_PORT=$(free_port)
export DJANGO_SETTINGS_MODULE=config.settings.production
export DJANGO_ENV_FILE=$WORK/no.env
export DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export FIELD_ENCRYPTION_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(16))')  # personal data key (docs/security.md)
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
export DATABASE_URL=$PG_TEST_URL
# Tasks queued by the services (notifications) wait in Redis: no Celery worker runs, as the
# requests never wait for one.
export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0
export CELERY_RESULT_BACKEND=redis://127.0.0.1:$REDIS_PORT/1
export CACHE_URL=redis://127.0.0.1:$REDIS_PORT/2
export STATIC_ROOT=$WORK/static
export MEDIA_ROOT=$WORK/media
manage() { "$PY" manage.py "$@"; }

step "migrate, compilemessages (when needed), collectstatic, demo data"
manage migrate --noinput -v0
need_messages=""
for po in locale/*/LC_MESSAGES/django.po; do [ "${po%.po}.mo" -nt "$po" ] || need_messages=1; done
[ -z "$need_messages" ] || manage compilemessages --ignore=.venv -v0
manage collectstatic --noinput -v0
manage demo_data >"$LOGS/demo_data.log" 2>&1

step "data set: bench/scale.py build(proposals=$PROPOSALS)"
manage shell --no-imports -c "
from bench import scale
print(scale.build(proposals=$PROPOSALS, log=lambda line: print(line, flush=True)))
"

step "passwords of the bench accounts (demo12345, one hash for all, as the demo accounts have)"
DATA=$(manage shell --no-imports -c "
import json
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from complaints.models import Complaint
from proposals.models import Proposal, ProposalProcess
from viewflow.workflow.models import Task
from workflow.models import User
User.objects.filter(username__startswith='bench_').update(password=make_password('demo12345'), password_changed_at=timezone.now(), must_change_password=False)
print(json.dumps({'proposals': Proposal.objects.count(), 'proposal_processes': ProposalProcess.objects.count(),
                  'tasks': Task.objects.count(), 'complaints': Complaint.objects.count(), 'users': User.objects.count(),
                  'database': 'PostgreSQL'}))
" | tail -1)
echo "$DATA"
# VACUUM as well as ANALYZE: the copies are fresh rows, and index-only scans need the visibility map.
_pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -d cases -q -c "VACUUM ANALYZE" >/dev/null
SIZE=$(_pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -d cases -At -c "SELECT pg_size_pretty(pg_database_size('cases'))")
DATA=$(python3 -c "import json, sys; d = json.loads(sys.argv[1]); d['database_size'] = sys.argv[2]; print(json.dumps(d))" "$DATA" "$SIZE")

step "gunicorn: $WORKERS sync workers, production settings"
"$VENV_BIN/gunicorn" -c config/gunicorn.conf.py config.wsgi --workers "$WORKERS" --bind "127.0.0.1:$WEB_PORT" --timeout 60 \
  --access-logfile "$LOGS/gunicorn-access.log" --error-logfile "$LOGS/gunicorn.log" >>"$LOGS/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
wait_for 60 "gunicorn answering on port $WEB_PORT" "$PY" -c \
  "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$WEB_PORT/healthz', headers={'X-Forwarded-Proto': 'https'}), timeout=5)"

step "Locust: $USERS users (spawn rate $SPAWN_RATE/s), $DURATION s measured after sign-in"
PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
LOADTEST_DATA=$DATA LOADTEST_RESULTS=$RESULTS LOADTEST_DURATION=$DURATION \
LOADTEST_SERVER="gunicorn $WORKERS sync workers, PostgreSQL $PG_VERSION (throwaway, tuned), Redis cache; $(nproc) cores shared with Locust and other work" \
  "$VENV_BIN/locust" -f bench/locustfile.py --headless -u "$USERS" -r "$SPAWN_RATE" -t "$((DURATION + 700))s" \
  --host "http://127.0.0.1:$WEB_PORT" --only-summary --csv "$LOGS/locust" --loglevel WARNING 2>"$LOGS/locust.log" \
  || { status=$?; tail -n 30 "$LOGS/locust.log" >&2; echo "loadtest: Locust reported errors (exit $status)" >&2; exit $status; }

step "no server error in the logs"
if grep -E '" 5[0-9]{2} ' "$LOGS/gunicorn-access.log"; then
  echo "loadtest: gunicorn answered 5xx (above)" >&2; exit 1
fi
if grep -E "Internal Server Error|Traceback" "$LOGS/gunicorn.log"; then
  echo "loadtest: errors in gunicorn's log (above)" >&2; exit 1
fi
echo "loadtest passed in $((SECONDS - START)) s; figures in ${RESULTS#$ROOT/}"
