#!/usr/bin/env bash
# Schemathesis (`--checks all`) against the API's own OpenAPI schema, once per
# role: the proposal office, a department handler and a committee member.
#
# It starts `runserver` on a free port against a throwaway SQLite database
# (migrate + demo_data, in a temporary directory), takes a token per role from
# POST /api/v1/auth/token/, runs `schemathesis run` with a bounded number of
# examples per operation, prints a summary line per role and stops the server.
# Nothing outside the temporary directory and $REPORT_DIR is touched.
#
#   scripts/schemathesis.sh                        # office1 handler1 member1, 20 examples per operation
#   MAX_EXAMPLES=100 ROLES="member1" scripts/schemathesis.sh
#   scripts/schemathesis.sh --include-path-regex '/proposals/'   # extra arguments go to `schemathesis run`
#
# Exit status: 0 when every role's run passed, 1 otherwise. Checks we consider
# false positives for this API are discussed in docs/api.md ("Schemathesis").
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
SCHEMATHESIS=${SCHEMATHESIS:-.venv/bin/schemathesis}
ROLES=${ROLES:-"office1 handler1 member1"}
MAX_EXAMPLES=${MAX_EXAMPLES:-20}
SEED=${SEED:-20261101}
PASSWORD=${DEMO_PASSWORD:-demo12345}
REPORT_DIR=$(mkdir -p "${REPORT_DIR:-var/schemathesis}" && cd "${REPORT_DIR:-var/schemathesis}" && pwd)

if [ ! -x "$SCHEMATHESIS" ]; then
  echo "schemathesis is not installed: .venv/bin/pip install -r requirements-dev.txt" >&2
  exit 2
fi
SCHEMATHESIS=$(cd "$(dirname "$SCHEMATHESIS")" && pwd)/$(basename "$SCHEMATHESIS")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/schemathesis.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

export DJANGO_SETTINGS_MODULE=config.settings.local
export DJANGO_DEBUG=false                      # plain 500s, as in production
export DATABASE_URL="sqlite:///$WORK/db.sqlite3"
export CELERY_BROKER_DIR="$WORK/broker"        # tasks queued by services land here, no worker needed
export MEDIA_ROOT="$WORK/media"
mkdir -p "$WORK/broker/queue" "$WORK/broker/processed" "$WORK/broker/control" "$WORK/media" "$REPORT_DIR"

echo "==> throwaway database in $WORK: migrate + demo_data"
$PY manage.py migrate --noinput -v0
$PY manage.py demo_data > "$WORK/demo.log"

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
$PY manage.py runserver --noreload "127.0.0.1:$PORT" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  if $PY -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$BASE/api/v1/schema/" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log" >&2; exit 2; fi
  sleep 1
done
echo "==> runserver on $BASE (pid $SERVER_PID)"

token_for() {
  $PY - "$BASE/api/v1/auth/token/" "$1" "$PASSWORD" <<'EOF'
import json
import sys
import urllib.request

url, username, password = sys.argv[1:4]
request = urllib.request.Request(url, data=json.dumps({"username": username, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(request, timeout=10))["token"])
EOF
}

summarise() {  # role, ndjson report -> requests made, 5xx answers, failing test cases (and operations) per check
  $PY - "$1" "$2" <<'EOF'
import collections
import json
import sys

role, path = sys.argv[1:3]
requests = server_errors = 0
cases = collections.Counter()
operations = collections.defaultdict(set)
for line in open(path, encoding="utf-8"):
    body = json.loads(line).get("ScenarioFinished")
    if not body:
        continue
    recorder = body.get("recorder") or {}
    for interaction in (recorder.get("interactions") or {}).values():
        response = interaction.get("response") or {}
        if "status_code" in response:
            requests += 1
            server_errors += response["status_code"] >= 500
    for case_checks in (recorder.get("checks") or {}).values():
        for check in case_checks:
            if check.get("status") == "failure":
                cases[check["name"]] += 1
                operations[check["name"]].add(recorder.get("label"))
detail = "; ".join(f"{name}: {count} cases in {len(operations[name])} operations" for name, count in sorted(cases.items())) or "none"
print(f"{role}: {requests} requests, {server_errors} server errors; failures by check: {detail}")
EOF
}

status=0
SUMMARY=()
for role in $ROLES; do
  echo
  echo "==> $role"
  TOKEN=$(token_for "$role")
  set +e
  # run from the temporary directory: schemathesis keeps a cache (.schemathesis/) in the current one
  (cd "$WORK" && "$SCHEMATHESIS" run "$BASE/api/v1/schema/?format=json" \
    --checks all \
    --header "Authorization: Token $TOKEN" \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers 1 \
    --generation-database none \
    --exclude-path-regex '^/api/v1/auth/' \
    --no-color \
    --report ndjson,junit \
    --report-ndjson-path "$REPORT_DIR/$role.ndjson" \
    --report-junit-path "$REPORT_DIR/$role.junit.xml" \
    "$@")
  code=$?
  set -e
  [ "$code" -eq 0 ] || status=1
  SUMMARY+=("$(summarise "$role" "$REPORT_DIR/$role.ndjson" 2>/dev/null || echo "$role: (no report)") [exit $code]")
done

if grep -Eq '" 5[0-9][0-9] [0-9]+$' "$WORK/server.log"; then
  echo
  echo "==> server errors (5xx) in this run, with the server's log:"
  grep -E '" 5[0-9][0-9] [0-9]+$' "$WORK/server.log" | head -50
  grep -A40 "Traceback" "$WORK/server.log" | head -300
  status=1
fi

echo
echo "==> summary (reports in $REPORT_DIR/)"
printf '%s\n' "${SUMMARY[@]}"
exit $status
