#!/usr/bin/env bash
# make prod-check: the production path, end to end, on this machine.
#
# With config.settings.production, a throwaway PostgreSQL cluster
# (scripts/pg_test.sh) and a Redis server of its own (both on free ports, in
# temporary directories; never a system service), it runs check --deploy,
# migrate, compilemessages (when needed), collectstatic, creates a superuser
# and the demo data, starts gunicorn, a Celery worker and exactly one beat,
# then (scripts/prod_check_http.py) logs in over HTTP as a TLS proxy would and
# loads the pages, the API docs and schema, static files and /healthz; a
# task sent through Redis must come back from the worker, and one sent by
# beat must be run by it. With everything stopped, it generates a reply
# letter, runs `manage.py backup`, restores the archive into a fresh database
# and MEDIA_ROOT, and compares cases, events and documents between the two.
# Everything it started is stopped on exit. Any failed step, any 5xx:
# non-zero exit, the step named, the logs' tails.
#
# KEEP_PROD_CHECK=1 keeps the work directory (logs, static files) afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV_BIN=$ROOT/.venv/bin
PY=$VENV_BIN/python
START=$SECONDS

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cases-prod-check.XXXXXX")
chmod 755 "$WORK"
LOGS=$WORK/log
mkdir -p "$LOGS" "$WORK/redis"
STEP="start"
STOP_PROBLEM=""
REDIS_PID=""
declare -A PIDS=()
source scripts/pg_test.sh
TIMINGS=()
step_started=$SECONDS

step() {
  [ "$STEP" != "start" ] && TIMINGS+=("$(printf '%4ss  %s' $((SECONDS - step_started)) "$STEP")")
  STEP=$1
  step_started=$SECONDS
  echo "==> $STEP"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds
  local limit=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    for name in "${!PIDS[@]}"; do
      kill -0 "${PIDS[$name]}" 2>/dev/null || { echo "prod-check: $name exited while waiting for $what" >&2; return 1; }
    done
    if [ $SECONDS -ge $deadline ]; then echo "prod-check: no $what after ${limit}s" >&2; return 1; fi
    sleep 0.5
  done
}

stop_processes() {
  local name pid deadline
  for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  deadline=$((SECONDS + 20))
  for name in "${!PIDS[@]}"; do
    pid=${PIDS[$name]}
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "prod-check: $name (pid $pid) did not stop on TERM within 20s: killed" >&2
      kill -KILL "$pid" 2>/dev/null || true
      STOP_PROBLEM=1
    fi
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}

on_exit() {
  local status=$?
  trap - EXIT INT TERM
  if [ $status -ne 0 ]; then
    echo >&2
    echo "prod-check FAILED (exit $status) at step: $STEP" >&2
    for f in gunicorn.log gunicorn-access.log celery-worker.log celery-worker.out celery-beat.log celery-beat.out redis.log; do
      [ -s "$LOGS/$f" ] || continue
      echo "----- last lines of $f" >&2
      tail -n 40 "$LOGS/$f" >&2
    done
    if [ -n "${PG_TEST_DIR:-}" ] && [ -s "$PG_TEST_DIR/log" ]; then
      echo "----- last lines of the PostgreSQL log" >&2
      tail -n 20 "$PG_TEST_DIR/log" >&2
    fi
  fi
  echo "==> stopping gunicorn, worker, beat, Redis, PostgreSQL"
  stop_processes
  if [ -n "$REDIS_PID" ]; then
    kill -TERM "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  pg_test_stop
  if [ "${KEEP_PROD_CHECK:-}" = "1" ]; then echo "==> work directory kept: $WORK"; else rm -rf "$WORK"; fi
  exit $status
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- servers of our own ----------------------------------------------------------
step "PostgreSQL (throwaway cluster)"
pg_test_start

step "Redis (own port and directory)"
REDIS_BIN=$(command -v redis-server || true)
[ -n "$REDIS_BIN" ] || { echo "prod-check: redis-server not found (apt-get install redis-server, or run make prod-check as root)" >&2; exit 1; }
REDIS_PORT=$(free_port)
"$REDIS_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" --save '' --appendonly no \
  --daemonize no --logfile "$LOGS/redis.log" &
REDIS_PID=$!
wait_for 20 "Redis answering on port $REDIS_PORT" "$PY" -c \
  "import redis, sys; sys.exit(0 if redis.Redis(port=$REDIS_PORT, socket_timeout=1).ping() else 1)"
echo "Redis on 127.0.0.1:$REDIS_PORT"

# --- the production environment: nothing from the caller's environment or .env -------
for var in $(compgen -e); do
  case $var in DJANGO_*|CELERY_*|FIELD_ENCRYPTION_*|DATABASE_URL|DB_CONN_MAX_AGE|STATIC_ROOT|MEDIA_ROOT|SQLITE_*) unset "$var" ;; esac
done
WEB_PORT=$(free_port)
export DJANGO_SETTINGS_MODULE=config.settings.production
export DJANGO_ENV_FILE=$WORK/no.env   # a developer's .env must not change what is checked
export DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export FIELD_ENCRYPTION_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
export DATABASE_URL=$PG_TEST_URL
export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0
export CELERY_RESULT_BACKEND=redis://127.0.0.1:$REDIS_PORT/1
export CACHE_URL=redis://127.0.0.1:$REDIS_PORT/2
export STATIC_ROOT=$WORK/static
export MEDIA_ROOT=$WORK/media
manage() { "$PY" manage.py "$@"; }

# --- deployment steps, as README's "Running in production" gives them -------------
step "check --deploy"
manage check --deploy --fail-level WARNING

step "migrate"
manage migrate --noinput -v0

step "compilemessages (when a .mo is missing or older than its .po)"
need_messages=""
for po in locale/*/LC_MESSAGES/django.po; do
  [ "${po%.po}.mo" -nt "$po" ] || need_messages=1
done
if [ -n "$need_messages" ]; then manage compilemessages --ignore=.venv -v0; else echo "up to date"; fi

step "collectstatic"
manage collectstatic --noinput -v0
echo "$(find "$STATIC_ROOT" -type f | wc -l) files, $(du -sh "$STATIC_ROOT" | cut -f1) in STATIC_ROOT"

step "superuser and demo data"
SUPERUSER_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(16))')
DJANGO_SUPERUSER_PASSWORD=$SUPERUSER_PASSWORD manage createsuperuser --noinput \
  --username prodcheck --email prodcheck@example.invalid >/dev/null
manage demo_data >/dev/null
# The pages are checked as a demo member of staff: the superuser is for installation only and,
# like every administrator, would first have to enrol a second factor (docs/security.md).
CHECK_USER=office1
CHECK_PASSWORD=demo12345
CHECK_SHOWN_AS=$(manage shell --no-imports -c "from workflow.models import User; print(User.objects.get(username='$CHECK_USER'))")
BEAT_NONCE=beat-$(python3 -c 'import secrets; print(secrets.token_hex(6))')
manage shell --no-imports -c "
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name='prod-check ping', task='workflow.ping', interval=every, kwargs='{\"nonce\": \"$BEAT_NONCE\"}')
"

# --- the running system ------------------------------------------------------------------
step "start gunicorn, a Celery worker and one beat"
# Their own output (banners, Django's request log) goes to the logs, not the terminal.
"$VENV_BIN/gunicorn" -c config/gunicorn.conf.py config.wsgi --workers 2 --bind "127.0.0.1:$WEB_PORT" --timeout 60 \
  --access-logfile "$LOGS/gunicorn-access.log" --error-logfile "$LOGS/gunicorn.log" \
  >>"$LOGS/gunicorn.log" 2>&1 &
PIDS[gunicorn]=$!
"$VENV_BIN/celery" -A config worker -n "prodcheck@%h" --concurrency 2 --loglevel INFO \
  --logfile "$LOGS/celery-worker.log" >"$LOGS/celery-worker.out" 2>&1 &
PIDS[worker]=$!
"$VENV_BIN/celery" -A config beat --loglevel INFO --schedule "$WORK/beat-schedule" \
  --logfile "$LOGS/celery-beat.log" >"$LOGS/celery-beat.out" 2>&1 &
PIDS[beat]=$!
wait_for 60 "gunicorn answering on port $WEB_PORT" "$PY" -c \
  "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$WEB_PORT/healthz', headers={'X-Forwarded-Proto': 'https'}), timeout=5)"
wait_for 60 "Celery worker ready" grep -q "ready\." "$LOGS/celery-worker.log"
wait_for 30 "Celery beat started" grep -q "beat: Starting" "$LOGS/celery-beat.log"

step "HTTP: health, login, pages, static files, API docs and schema"
"$PY" scripts/prod_check_http.py "http://127.0.0.1:$WEB_PORT" "$CHECK_USER" "$CHECK_PASSWORD" "$CHECK_SHOWN_AS"

step "a task sent through Redis is run by the worker"
NONCE=$(python3 -c 'import secrets; print(secrets.token_hex(8))')
ANSWER=$(manage shell --no-imports -c "
import json
from workflow.tasks import ping
result = ping.delay(nonce='$NONCE')
print(result.id, json.dumps(result.get(timeout=60)))
")
echo "$ANSWER"
TASK_ID=${ANSWER%% *}
"$PY" - "$ANSWER" "$NONCE" <<'EOF'
import json, sys
answer = json.loads(sys.argv[1].split(" ", 1)[1])
assert answer["nonce"] == sys.argv[2], answer
assert answer["hostname"].startswith("prodcheck@"), answer
assert answer["eager"] is False, answer
EOF
grep -q "Task workflow.ping\[$TASK_ID\] succeeded" "$LOGS/celery-worker.log" \
  || { echo "prod-check: the worker's log does not show task $TASK_ID" >&2; exit 1; }

step "beat sends a scheduled task that the worker runs"
wait_for 30 "beat-sent task in the worker's log" grep -q "$BEAT_NONCE" "$LOGS/celery-worker.log"
grep -q "Sending due task prod-check ping" "$LOGS/celery-beat.log" \
  || { echo "prod-check: beat's log does not show it sending the task" >&2; exit 1; }

step "no server error in the logs"
if grep -E '" 5[0-9]{2} ' "$LOGS/gunicorn-access.log"; then
  echo "prod-check: gunicorn answered 5xx (above)" >&2; exit 1
fi
if grep -E "Internal Server Error|Traceback" "$LOGS/gunicorn.log"; then
  echo "prod-check: errors in gunicorn's log (above)" >&2; exit 1
fi
if grep -E "Traceback|ERROR/" "$LOGS/celery-worker.log" "$LOGS/celery-beat.log"; then
  echo "prod-check: errors in the Celery logs (above)" >&2; exit 1
fi

step "stop gunicorn, worker and beat with TERM"
stop_processes
[ -z "$STOP_PROBLEM" ] || { echo "prod-check: a process had to be killed" >&2; exit 1; }

# --- backup and restore (docs/operations.md), with nothing running: the two databases must agree --------
step "backup, restore into a fresh database, compare cases, events and documents"
CASE_SUMMARY="
from complaints.models import Attachment, Complaint
from proposals.models import Proposal
from workflow import documents
from workflow.models import CaseEvent, GeneratedDocument
for model in (Proposal, Complaint, CaseEvent, GeneratedDocument, Attachment):
    print(model._meta.label, model.objects.count())
for doc in GeneratedDocument.objects.order_by('pk'):
    documents.document_read(doc)  # refuses a file whose bytes differ from the row's SHA-256
    print(doc.file.name, doc.sha256)
"
# A reply letter of the demo data, so that a generated document is in the backup; then the live summary.
LIVE=$(manage shell --no-imports -c "
from django.apps import apps
from workflow import documents, registry
spec = registry.document_kind('proposal_reply')
reply = next(r for r in apps.get_model(spec.model).objects.order_by('pk') if spec.available(r))
documents.document_issue(actor=None, case=reply, kind=spec.code)
$CASE_SUMMARY")
mkdir -m 700 "$WORK/backups"
manage backup --output "$WORK/backups"
ARCHIVE=$(ls "$WORK"/backups/cases-backup-*.tar.gz)
[ "$(stat -c %a "$ARCHIVE")" = "600" ] || { echo "prod-check: $ARCHIVE is not mode 600" >&2; exit 1; }
_pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -q -c "CREATE DATABASE cases_restored OWNER cases" >/dev/null
RESTORED_URL=${PG_TEST_URL%/cases}/cases_restored
DATABASE_URL=$RESTORED_URL MEDIA_ROOT=$WORK/media-restored manage restore "$ARCHIVE"
RESTORED=$(DATABASE_URL=$RESTORED_URL MEDIA_ROOT=$WORK/media-restored manage shell --no-imports -c "$CASE_SUMMARY")
if [ "$LIVE" != "$RESTORED" ]; then
  echo "prod-check: the restored database differs from the live one:" >&2
  diff <(echo "$LIVE") <(echo "$RESTORED") >&2 || true
  exit 1
fi
grep -q "GeneratedDocument 0$" <<<"$RESTORED" && { echo "prod-check: no generated document was backed up" >&2; exit 1; }
echo "$RESTORED"

step "done"
echo
echo "Step timings:"
printf '  %s\n' "${TIMINGS[@]}"
echo "prod-check passed in $((SECONDS - START))s"
