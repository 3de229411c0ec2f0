"""The bulk-generation benchmark (bench/bench_batch.py) at a small size, so CI
proves it still works end to end: a fresh database with the demo data, a real
Celery worker (prefork, two processes, filesystem broker), 4 letters in chunks
of 2 started through the service, a figure written, nothing left running."""
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DATABASE_", "BENCH_", "DOCUMENTS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        CELERY_BROKER_URL="filesystem://",
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
        DJANGO_ENV_FILE=str(tmp_path / "no.env"),
        BENCH_BATCH_SIZE="4",
        BENCH_BATCH_WORKERS="2",
        DOCUMENTS_BATCH_CHUNK_SIZE="2",
        BENCH_RESULTS=str(tmp_path / "results.json"),
        TMPDIR=str(tmp_path),  # the worker's folder (log, broker) and so its command line
    )
    return env


def _worker_processes(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "celery" in cmdline and marker in cmdline:
                found.append(cmdline)
    return found


def test_the_batch_benchmark_runs_through_real_workers(tmp_path):
    env = _env(tmp_path)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
    subprocess.run([python, "manage.py", "demo_data"], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL)
    run = subprocess.run([python, "bench/run.py", "batch"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    row = next(r for r in rows if r["name"] == "pdf_batch_per_second")
    assert row["value"] > 0 and row["unit"] == "documents/s"
    assert "4 reply letters" in row["scale"] and "2 Celery worker processes" in row["scale"] and "2 chunk tasks of 2" in row["scale"]
    assert "0 failed" in row["notes"]
    # the copies and batches are gone again, the worker with its pool too
    out = subprocess.run(
        [python, "-c", "import django; django.setup(); from proposals.models import Reply; from workflow.models import DocumentBatch; "
                       "print(Reply.objects.filter(round__gt=100).count(), DocumentBatch.objects.count())"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert out == ["0", "0"]
    assert _worker_processes(str(tmp_path)) == []
