#!/usr/bin/env bash
# Start the web app plus a real Celery worker with beat inside it, on the
# embedded filesystem broker. Ctrl-C (SIGINT) or SIGTERM stops everything
# within seconds.
#
# Why it is written this way (it used to hang at "beat: Shutting down..."):
# * bash runs a trap only after the foreground command returns, so a SIGTERM
#   sent to this script never reached a foreground runserver: both servers
#   now run in the background and the script waits with `wait`, which a
#   trapped signal interrupts.
# * a signal sent to the whole process group (Ctrl-C, `kill -- -PGID`) also
#   hits the worker's prefork pool children; a child killed while holding the
#   pool's queue lock leaves the worker's exit handler waiting for that lock
#   for ever. The embedded workers therefore use the solo pool (tasks run
#   one at a time in each worker process): there is no pool lock to leave
#   behind. To use the machine's cores (bulk documents fan out one task per
#   chunk: docs/documents.md) there are CELERY_WORKERS of them (default: the
#   number of cores, at most 4); the first also runs beat. They share the
#   filesystem broker's queue: a message is moved out of it by one of them,
#   and every task is safe to run twice anyway.
# * whatever still runs STOP_TIMEOUT seconds after the stop request is killed.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
PY=.venv/bin/python
STOP_TIMEOUT=${STOP_TIMEOUT:-10}
LOG_DIR=${RUN_LOG_DIR:-var/log}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
mkdir -p "$LOG_DIR"

pids=()
stopping=""

descendants() {  # every process below $1, deepest last
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

stop_all() {
  [ -n "$stopping" ] && return 0
  stopping=1
  trap '' INT TERM  # a second Ctrl-C must not cut the clean-up short
  echo
  echo "==> Stopping (worker, beat, web server)..."
  local pid all=() deadline
  for pid in "${pids[@]}"; do all+=("$pid" $(descendants "$pid")); done
  # The worker's main process takes TERM as "warm shutdown": it finishes the
  # task in hand, stops beat and exits. runserver exits on TERM.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + STOP_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    local alive=0
    for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in "${all[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "==> pid $pid did not stop within ${STOP_TIMEOUT}s: killed" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

CORES=$(nproc 2>/dev/null || echo 1)
WORKERS=${CELERY_WORKERS:-$(( CORES > 4 ? 4 : CORES ))}
.venv/bin/celery -A config worker -B --pool=solo -n "celery@%h" --loglevel=${CELERY_LOGLEVEL:-INFO} \
  --logfile="$LOG_DIR/celery.log" &
pids+=($!)
for n in $(seq 2 "$WORKERS"); do
  .venv/bin/celery -A config worker --pool=solo -n "celery$n@%h" --loglevel=${CELERY_LOGLEVEL:-INFO} \
    --logfile="$LOG_DIR/celery-$n.log" &
  pids+=($!)
done
echo
echo "==> Celery worker + beat started (pid ${pids[0]}, log $LOG_DIR/celery.log); $WORKERS worker process(es) in all"
echo "==> Open http://$HOST:$PORT/   (API docs: http://$HOST:$PORT/api/v1/docs/, health: http://$HOST:$PORT/healthz)"
echo "==> Demo accounts, password demo12345:"
echo "    member1 member2 (委员)  office1 (提案委)  handler1 leader1 (区行政审批局)  handler2 leader2 (区人社局)"
echo "    dispatcher1 (12345热线)  supervisor1 (督查室)  keyleader1 (牵头领导)"
echo "    sysadmin1 (系统管理员)  secadmin1 (安全管理员)  auditadmin1 (审计管理员)  admin (超级管理员, 仅供安装): /admin/"
echo "    administrators need a second-factor code: authenticator secret DEMO DEMO DEMO DEMO DEMO DEMO DEMO DEMO,"
echo "    or: $PY manage.py demo_otp_code sysadmin1"
echo
$PY manage.py runserver "$HOST:$PORT" &
pids+=($!)
# Whichever ends first (normally: a signal interrupts the wait) ends both.
status=0
wait -n "${pids[@]}" || status=$?
exit $status
