#!/usr/bin/env bash
# Creates the django-helpdesk baseline's own virtualenv, var/helpdesk-venv (git-ignored),
# and installs the pinned requirements into it. Never touches the project's .venv.
# Usage: bash bench/helpdesk_baseline/setup.sh   (idempotent; HELPDESK_VENV overrides the path)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${HELPDESK_VENV:-$root/var/helpdesk-venv}"
mkdir -p "$(dirname "$venv")"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c "import importlib.metadata as m; print('django-helpdesk', m.version('django-helpdesk'), 'Django', m.version('Django'), 'in', '$venv')"
