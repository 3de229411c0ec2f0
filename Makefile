# Two commands set everything up on a fresh machine:
#   make run    start the app (SQLite, filesystem broker, Celery worker + beat) with demo data
#   make test   run the whole suite (SQLite; also PostgreSQL when CI=true or TEST_DB=postgres)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench sysdeps venv setup messages migrate demo worker clean check-deploy

sysdeps:
	@bash scripts/sysdeps.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

messages: venv
	@$(PY) manage.py compilemessages -l en --ignore=.venv > /dev/null

setup: sysdeps venv messages

migrate: setup
	@mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo_data

run: demo
	@bash scripts/run.sh $(HOST) $(PORT)

test: setup
	@bash scripts/test.sh

# Benchmarks use their own database (var/bench.sqlite3), never the demo one.
BENCH_DB := sqlite:///$(CURDIR)/var/bench.sqlite3
bench: setup
	@mkdir -p var && rm -f var/bench.sqlite3  # fresh each run: the sizes measured are the sizes named
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py demo_data > /dev/null
	DATABASE_URL=$(BENCH_DB) $(PY) bench/run.py

check-deploy: setup
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(50))') \
	  DJANGO_ALLOWED_HOSTS=cases.example.org $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var/broker var/staticfiles
