# Two commands set everything up on a fresh machine:
#   make run         start the app (SQLite, filesystem broker, Celery worker + beat) with demo data
#   make test        run the whole suite (SQLite; also PostgreSQL when CI=true or TEST_DB=postgres)
# and one for the production path:
#   make prod-check  production settings end to end: throwaway PostgreSQL + Redis, migrate,
#                    collectstatic, gunicorn, Celery worker + one beat, pages and a task over HTTP
# (make loadtest: Locust against that stack with the 100k data set; minutes, never in CI.)
# Each installs (as root) or lists (otherwise) only the Debian packages it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: screenshots schemathesis loadtest run test prod-check bench sysdeps sysdeps-run sysdeps-test sysdeps-prod-check venv setup messages migrate demo clean check-deploy

# Debian packages: sysdeps-run for running the app, -test adds Chromium and
# PostgreSQL, -prod-check adds PostgreSQL and Redis; sysdeps is all of them.
sysdeps:
	@bash scripts/sysdeps.sh run test prod-check
sysdeps-run:
	@bash scripts/sysdeps.sh run
sysdeps-test:
	@bash scripts/sysdeps.sh test
sysdeps-prod-check:
	@bash scripts/sysdeps.sh prod-check

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

messages: venv
	@$(PY) manage.py compilemessages -l en -l zh_Hans --ignore=.venv > /dev/null

# What `make run` needs (no Chromium, no PostgreSQL, no Redis).
setup: sysdeps-run venv messages

migrate: setup
	@mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo_data

run: demo
	@bash scripts/run.sh $(HOST) $(PORT)

test: sysdeps-test setup
	@bash scripts/test.sh

# Production settings end to end, on throwaway PostgreSQL and Redis servers of
# its own (free ports, temporary directories); stops everything it started.
prod-check: sysdeps-prod-check setup
	@bash scripts/prod_check.sh

# Benchmarks use their own database (var/bench.sqlite3), never the demo one.
# `make bench BENCH="scale calendar"` runs only those (their rows replace theirs in latest.json).
BENCH_DB := sqlite:///$(CURDIR)/var/bench.sqlite3
BENCH ?=
bench: setup
	@mkdir -p var && rm -f var/bench.sqlite3  # fresh each run: the sizes measured are the sizes named
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py demo_data > /dev/null
	DATABASE_URL=$(BENCH_DB) $(PY) bench/run.py $(BENCH)

# Issue 11's load test (docs/scale.md, "Load test"): throwaway PostgreSQL + Redis, production
# settings, the 100k data set, gunicorn with 4 workers, Locust 50 staff users for 60 s.
# Not part of `make test` or CI. LOADTEST_PROPOSALS, _USERS, _DURATION, _WORKERS, _WAIT override.
loadtest: sysdeps-prod-check setup
	@bash scripts/loadtest.sh

check-deploy: setup
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(50))') \
	  FIELD_ENCRYPTION_KEY=$$($(PY) -c 'import secrets;print(secrets.token_hex(16))') \
	  DJANGO_ALLOWED_HOSTS=cases.example.org $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var/broker var/staticfiles

# The API against its own schema (schemathesis --checks all) as office, handler and member.
# Not part of `make test` (a few minutes); reports in var/schemathesis/. See docs/api.md.
schemathesis: setup
	@bash scripts/schemathesis.sh

# Screenshots of the main pages (1366 and 390 px) into docs/screenshots/, from a throwaway demo database.
screenshots: sysdeps-test setup
	$(PY) scripts/screenshots.py
