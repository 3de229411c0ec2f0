#!/usr/bin/env bash
# Start the web app plus a real Celery worker with beat inside it, on the
# embedded filesystem broker. Ctrl-C stops both.
set -euo pipefail
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
mkdir -p var/broker/queue var/broker/processed var/log
.venv/bin/celery -A config worker -B --loglevel=INFO --concurrency=2 \
  --schedule=var/celerybeat-schedule --logfile=var/log/celery.log &
CELERY_PID=$!
trap 'kill $CELERY_PID 2>/dev/null || true; wait $CELERY_PID 2>/dev/null || true' EXIT INT TERM
echo
echo "==> Celery worker + beat started (pid $CELERY_PID, log var/log/celery.log)"
echo "==> Open http://$HOST:$PORT/   (API docs: http://$HOST:$PORT/api/v1/docs/, health: http://$HOST:$PORT/healthz)"
echo "==> Demo accounts, password demo12345:"
echo "    member1 member2 (委员)  office1 (提案委)  handler1 leader1 (区行政审批局)  handler2 leader2 (区人社局)"
echo "    dispatcher1 (12345热线)  supervisor1 (督查室)  keyleader1 (牵头领导)  admin (管理员, /admin/)"
echo
$PY manage.py runserver "$HOST:$PORT"
