"""SQLite, the embedded default, under simultaneous writes.

Two simultaneous POSTs of the same action used to answer 500 "database is
locked". The settings now open SQLite in WAL mode with IMMEDIATE transactions
and a busy timeout (writers queue instead of failing), and a lock that still
times out becomes a 409 with a "refresh and retry" message
(workflow.middleware.DatabaseLockedMiddleware).
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import include, path

from workflow.middleware import DatabaseLockedMiddleware

BASE_DIR = Path(settings.BASE_DIR)
MESSAGE = "该案件正由他人同时办理，请刷新后重试。"


def locked_view(request):
    raise OperationalError("database is locked")


def broken_view(request):
    raise OperationalError("no such table: nothing")


# Used by the tests marked with pytest.mark.urls(__name__): the real URLs plus two that lock.
urlpatterns = [
    path("api/v1/locked/", locked_view),
    path("proposals/locked/", locked_view),
    path("broken/", broken_view),
    path("", include("config.urls")),
]


def _local_env(db: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{db}",
        DJANGO_ENV_FILE=str(db.parent / "no.env"),
    )
    return env


# --- (a) the settings ---------------------------------------------------------------------
def test_local_settings_open_sqlite_in_wal_with_immediate_transactions_and_a_busy_timeout(tmp_path):
    # Given the embedded settings on a real database file
    script = textwrap.dedent("""
        import json
        from django.db import connection
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA busy_timeout")
            busy_ms = cursor.fetchone()[0]
        print(json.dumps({"journal": journal, "busy_ms": busy_ms, "mode": connection.transaction_mode}))
    """)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=BASE_DIR, env=_local_env(tmp_path / "db.sqlite3"), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # Then a connection is in WAL mode, waits for locks, and takes the write lock up front
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"journal": "wal", "busy_ms": 20000, "mode": "IMMEDIATE"}


def test_sqlite_options_leave_other_engines_alone():
    from config.settings.base import sqlite_options

    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "cases"}
    assert sqlite_options(dict(postgres)) == postgres
    options = sqlite_options({"ENGINE": "django.db.backends.sqlite3", "NAME": "x", "OPTIONS": {"timeout": 5}})["OPTIONS"]
    assert options["timeout"] == 5 and options["transaction_mode"] == "IMMEDIATE"  # an explicit value is kept
    assert "journal_mode=WAL" in options["init_command"]


def test_postgresql_sessions_run_without_jit_unless_asked(monkeypatch):
    """JIT compiled the dashboard's counts for longer than they ran (docs/performance.md)."""
    from config.settings.base import database_options, postgresql_options

    monkeypatch.delenv("DB_JIT", raising=False)
    options = database_options({"ENGINE": "django.db.backends.postgresql", "NAME": "cases"})["OPTIONS"]
    assert options == {"options": "-c jit=off"}
    kept = postgresql_options({"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"options": "-c work_mem=64MB"}})
    assert kept["OPTIONS"]["options"] == "-c work_mem=64MB -c jit=off"
    chosen = postgresql_options({"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"options": "-c jit=on"}})
    assert chosen["OPTIONS"]["options"] == "-c jit=on"  # an explicit choice is kept
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x", "OPTIONS": {}}
    assert postgresql_options(dict(sqlite)) == sqlite
    monkeypatch.setenv("DB_JIT", "true")
    assert "OPTIONS" not in postgresql_options({"ENGINE": "django.db.backends.postgresql", "NAME": "cases"})


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_postgresql_connection_has_jit_off():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


# --- (b) the middleware ---------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_locked_database_is_a_409_for_the_api(client):
    response = client.post("/api/v1/locked/")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": MESSAGE, "code": "conflict", "errors": {}}  # the API's one error shape


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_locked_database_is_a_409_page_with_a_refresh_link(client, handler):
    client.force_login(handler)
    response = client.post("/proposals/locked/", HTTP_REFERER="http://testserver/proposals/7/")
    assert response.status_code == 409
    body = response.content.decode()
    assert MESSAGE in body
    assert 'data-testid="conflict"' in body  # templates/409.html, inside the site's layout
    assert 'href="http://testserver/proposals/7/" data-testid="refresh"' in body


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_refresh_link_never_leaves_the_site(client):
    response = client.post("/proposals/locked/", HTTP_REFERER="https://elsewhere.example/")
    assert response.status_code == 409
    assert 'href="/proposals/locked/" data-testid="refresh"' in response.content.decode()


def test_other_database_errors_are_left_alone():
    middleware = DatabaseLockedMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/proposals/")
    assert middleware.process_exception(request, OperationalError("no such table: x")) is None
    assert middleware.process_exception(request, ValueError("database is locked")) is None
    assert middleware.process_exception(request, OperationalError("database is locked")).status_code == 409


# --- (c) two real writers on a database file ----------------------------------------------------
CONCURRENT = textwrap.dedent("""
    import json, sys, threading, uuid
    from django.conf import settings
    if sys.argv[1] != "as configured":
        settings.DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = sys.argv[1]
    import django
    django.setup()
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import include, path
    import types

    barrier = threading.Barrier(2)

    def decide(request):
        # The same action twice at once: read the state, then write.
        with transaction.atomic():
            Group.objects.count()
            try:
                barrier.wait(timeout=2)  # both have read (when the database lets them)
            except threading.BrokenBarrierError:
                pass
            Group.objects.create(name=uuid.uuid4().hex)
        return HttpResponse("ok")

    urls = types.ModuleType("concurrent_urls")
    urls.urlpatterns = [path("decide/", decide), path("", include("config.urls"))]
    sys.modules["concurrent_urls"] = urls
    statuses = []
    before = Group.objects.count()
    connection.close()

    def post():
        statuses.append(Client(raise_request_exception=False).post("/decide/").status_code)
        connection.close()

    with override_settings(ROOT_URLCONF="concurrent_urls"):
        threads = [threading.Thread(target=post) for _ in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
    print(json.dumps({"statuses": sorted(statuses), "rows": Group.objects.count() - before}))
""")


@pytest.fixture(scope="module")
def file_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("sqlite-lock") / "db.sqlite3"
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=_local_env(db), check=True)
    return db


def _two_simultaneous_posts(db: Path, mode: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CONCURRENT, mode], cwd=BASE_DIR, env=_local_env(db),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_simultaneous_writes_both_succeed(file_db):
    # Given the embedded settings (IMMEDIATE transactions, WAL, busy timeout)
    # When two requests read then write at the same moment
    report = _two_simultaneous_posts(file_db, "as configured")
    # Then the second waits for the first: both succeed, both rows are there
    assert report["statuses"] == [200, 200]
    assert report["rows"] == 2


def test_without_immediate_transactions_the_loser_gets_a_409_not_a_500(file_db):
    # Given SQLite's default (DEFERRED) transactions, as before the fix:
    # the second writer's read snapshot is stale and SQLite refuses it at once
    report = _two_simultaneous_posts(file_db, "DEFERRED")
    # Then that request is told to refresh (409), never a 500
    assert report["statuses"] == [200, 409]
    assert report["rows"] == 1
