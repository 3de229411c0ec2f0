"""`make run` (scripts/run.sh) stops promptly on SIGTERM and on Ctrl-C.

It used to hang at "beat: Shutting down..." until SIGKILL: a SIGTERM to the
script never reached the foreground runserver, and a signal to the whole
process group killed a prefork pool child holding the pool's queue lock, so
the worker's exit handler waited for that lock for ever.

Each test starts the real script (runserver + Celery worker with embedded
beat on the filesystem broker) on a free port against a migrated SQLite file,
waits until it serves and the worker is ready, signals it, and checks that
every process of its group is gone within a few seconds, without the
script's kill-after-timeout having been needed.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# Seconds. The worker's own warm shutdown takes about 4-5 s on the filesystem broker (more on
# a loaded machine: 8.1 s was seen with two benchmarks running); the script kills what still
# runs after its STOP_TIMEOUT (10 s) and says "did not stop", which the test refuses below.
# So the bound is the script's own, plus time to notice.
STOP_WITHIN = 12.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("run-db") / "db.sqlite3"
    env = _env(db, tmp_path_factory.mktemp("run-broker"))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
    return db


def _env(db: Path, workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{db}",
        CELERY_BROKER_URL="filesystem://",
        CELERY_BROKER_DIR=str(workdir / "broker"),
        RUN_LOG_DIR=str(workdir / "log"),
        DJANGO_ENV_FILE=str(workdir / "no.env"),
    )
    return env


def _start(migrated_db: Path, tmp_path: Path):
    db = tmp_path / "db.sqlite3"
    shutil.copy(migrated_db, db)
    port = _free_port()
    out = open(tmp_path / "run.out", "wb")
    proc = subprocess.Popen(
        ["bash", "scripts/run.sh", "127.0.0.1", str(port)],
        cwd=BASE_DIR, env=_env(db, tmp_path), stdout=out, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal gives `make run`
    )
    celery_log = tmp_path / "log" / "celery.log"
    deadline = time.monotonic() + 60
    served = ready = False
    while time.monotonic() < deadline and not (served and ready):
        assert proc.poll() is None, (tmp_path / "run.out").read_text()
        if not served:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    served = response.status == 200
            except OSError:
                pass
        ready = celery_log.exists() and "ready." in celery_log.read_text()
        time.sleep(0.3)
    assert served and ready, _diagnostics(tmp_path)
    return proc


def _diagnostics(tmp_path: Path) -> str:
    parts = []
    for name in ("run.out", "log/celery.log"):
        path = tmp_path / name
        parts.append(f"--- {name}\n" + (path.read_text()[-3000:] if path.exists() else "(none)"))
    return "\n".join(parts)


def _stopped_within(proc, seconds: float) -> tuple[bool, float, list[int]]:
    pgid = proc.pid
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        proc.poll()
        if not _group_members(pgid):
            return True, time.monotonic() - started, []
        time.sleep(0.1)
    return False, time.monotonic() - started, _group_members(pgid)


def _cleanup(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@pytest.mark.parametrize("how", ["SIGTERM to the script", "SIGINT to the process group (Ctrl-C)"])
def test_run_script_stops_worker_beat_and_server_promptly(migrated_db, tmp_path, how):
    # Given `make run`'s script serving, with its worker and beat ready
    proc = _start(migrated_db, tmp_path)
    members = _group_members(proc.pid)
    assert len(members) >= 5, members  # script, runserver (+ its reloaded child), worker, beat
    try:
        # When it is told to stop
        if how.startswith("SIGTERM"):
            os.kill(proc.pid, signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        # Then every process of its group is gone within a few seconds, on its own
        stopped, took, left = _stopped_within(proc, STOP_WITHIN)
        assert stopped, f"still running after {took:.1f}s: {left}\n{_diagnostics(tmp_path)}"
        out = (tmp_path / "run.out").read_text()
        assert "did not stop" not in out, out  # nothing had to be killed
        assert "beat: Shutting down" in (tmp_path / "log" / "celery.log").read_text()
    finally:
        _cleanup(proc)
