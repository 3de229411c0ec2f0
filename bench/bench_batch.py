"""Bulk generation through real Celery worker processes: 500 passed reply
letters of one session rendered as a batch (workflow.documents: the batch
task fans out one task per chunk of documents; the last chunk packs the ZIP).

* pdf_batch_per_second: documents per second, cold (no stored version to
  reuse: every letter rendered, PDF/A-3b, stored with its SHA-256, then the
  ZIP), from `document_batch_start` (the service the page calls) until the
  batch row says done; the workers' start-up is not counted, their first
  document (fonts loaded per process) is. The notes give the second run of
  the same batch (everything reused: read, checked and zipped only).

The worker is `celery -A config worker -P prefork --concurrency=BENCH_BATCH_WORKERS`
(default: 2, this machine's cores) on this database and on a filesystem
broker of its own in a temporary folder (the project's embedded broker,
without sharing a queue with a `make run` of the same checkout).
The demo data has few passed replies: the batch is topped up to
BENCH_BATCH_SIZE (default 500) with copies of them (later rounds of the same
assignments, with their own numbers), removed again afterwards so that the
other benchmarks see the demo data as it was.
Run alone with `make bench BENCH=batch`; tests/bench/test_batch_bench.py runs
it with 4 letters.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from proposals.models import Reply
from workflow import documents, pdf_engine
from workflow.models import DocumentBatch, GeneratedDocument

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "proposal_replies_by_session"


def _size() -> int:
    return int(os.environ.get("BENCH_BATCH_SIZE", "500"))


def _workers() -> int:
    return int(os.environ.get("BENCH_BATCH_WORKERS", "2"))


def _top_up(ids: list[int], size: int) -> list[int]:
    """Copies of the passed replies (rounds 101, 102, ...) until there are `size` of them."""
    originals = list(Reply.objects.filter(pk__in=ids).order_by("pk"))
    numbers = [reply.doc_number for reply in originals]  # the copies below reuse (and change) these objects
    copies = []
    for i in range(size - len(ids)):
        reply = originals[i % len(originals)]
        number = numbers[i % len(originals)]
        reply.pk, reply.id = None, None
        reply.round = 101 + i
        reply.doc_number = f"{number}-bench{i + 1}" if number else ""
        reply.save()
        copies.append(reply.pk)
    return copies


def run():
    size = _size()
    first = Reply.objects.filter(status=Reply.Status.PASSED, replied_at__isnull=False).select_related("assignment__proposal").order_by("pk").first()
    if first is None:
        return []
    session_id = first.assignment.proposal.session_id
    ids = list(Reply.objects.filter(
        assignment__proposal__session_id=session_id, status=Reply.Status.PASSED, replied_at__isnull=False,
    ).order_by("pk").values_list("pk", flat=True))[:size]
    copies = _top_up(ids, size) if len(ids) < size else []
    before = set(DocumentBatch.objects.values_list("pk", flat=True))
    try:
        return _measure(session_id, size)
    finally:
        for batch in DocumentBatch.objects.exclude(pk__in=before):
            if batch.file:
                batch.file.delete(save=False)
            batch.delete()
        for doc in GeneratedDocument.objects.filter(kind="proposal_reply", object_id__in=copies):
            doc.file.delete(save=False)
            doc.delete()
        Reply.history.filter(id__in=copies).delete()
        Reply.objects.filter(pk__in=copies).delete()


class Worker:
    """`celery worker` in its own process group on a private filesystem broker;
    stopped with TERM (warm shutdown), its group killed if it lingers."""

    def __init__(self, workers: int):
        self.dir = Path(tempfile.mkdtemp(prefix="bench-batch-"))
        self.log = self.dir / "worker.log"
        self.workers = workers
        broker = self.dir / "broker"
        self.options = {
            "data_folder_in": str(broker / "queue"), "data_folder_out": str(broker / "queue"),
            "processed_folder": str(broker / "processed"), "control_folder": str(broker / "control"),
            "store_processed": False,
        }

    def __enter__(self):
        from config.celery import app

        for folder in ("queue", "processed", "control"):
            (self.dir / "broker" / folder).mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_DIR": str(self.dir / "broker"),
               "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local")}
        if "DATABASE_URL" not in env:
            raise RuntimeError("the bench worker needs DATABASE_URL (make bench sets it)")
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "-P", "prefork",
             f"--concurrency={self.workers}", "-n", f"bench{os.getpid()}@%h", "--without-mingle", "--without-gossip",
             "--loglevel=INFO", f"--logfile={self.log}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        )
        # This process sends to the same queue.
        self._saved = (app.conf.broker_url, app.conf.broker_transport_options)
        app.conf.broker_url, app.conf.broker_transport_options = "filesystem://", self.options
        _reset_pools(app)
        deadline = time.monotonic() + 120
        while not (self.log.exists() and "ready." in self.log.read_text()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bench worker did not start:\n{self.log.read_text() if self.log.exists() else ''}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        from config.celery import app

        app.conf.broker_url, app.conf.broker_transport_options = self._saved
        _reset_pools(app)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own group: pool children left behind
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def _reset_pools(app) -> None:
    """Connections made with the previous broker settings are dropped (as Celery does after a fork)."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    if "amqp" in app.__dict__:
        app.__dict__["amqp"]._producer_pool = None


def _wait(batch_id: int, timeout: float) -> DocumentBatch:
    deadline = time.monotonic() + timeout
    while True:
        batch = DocumentBatch.objects.get(pk=batch_id)
        if batch.status in (DocumentBatch.Status.DONE, DocumentBatch.Status.FAILED) or time.monotonic() > deadline:
            return batch
        time.sleep(0.1)


def _measure(session_id: int, size: int):
    user = get_user_model().objects.filter(is_superuser=True).first()
    GeneratedDocument.objects.filter(kind="proposal_reply").delete()  # cold: nothing to reuse
    workers = _workers()
    timeout = max(120.0, size * 2.0)
    with Worker(workers) as worker:
        t0, cpu0 = time.perf_counter(), _cpu_seconds(worker.proc.pid)
        batch = documents.document_batch_start(actor=user, source=SOURCE, choice=str(session_id))
        batch = _wait(batch.pk, timeout)
        cold, cpu = time.perf_counter() - t0, _cpu_seconds(worker.proc.pid) - cpu0
        t0 = time.perf_counter()
        again = _wait(documents.document_batch_start(actor=user, source=SOURCE, choice=str(session_id)).pk, timeout)
        warm = time.perf_counter() - t0
        log = worker.log.read_text()
    if batch.status != DocumentBatch.Status.DONE or again.status != DocumentBatch.Status.DONE:
        raise RuntimeError(f"bench batch ended {batch.status}/{again.status}: {batch.error or again.error}\n{log[-3000:]}")
    pages = sum(GeneratedDocument.objects.filter(kind="proposal_reply", pk__in=_doc_ids(batch)).values_list("pages", flat=True))
    chunks = batch.chunks.count()
    scale = (f"{batch.total} reply letters of one session (demo data topped up with copies; {pages} A4 pages), PDF/A-3b, "
             f"{workers} Celery worker processes (prefork, filesystem broker), {chunks} chunk tasks of "
             f"{documents.batch_chunk_size()}, {os.cpu_count()} cores")
    return [
        {"name": "pdf_batch_per_second", "value": round(batch.total / cold, 2), "unit": "documents/s", "scale": scale,
         "notes": f"cold: {cold:.1f} s from document_batch_start to done (render + store + ZIP {batch.size / 1048576:.0f} MiB, "
                  f"{batch.failed} failed); CPU used by the worker processes: {cpu:.1f} s = {cpu / batch.total:.3f} s a letter "
                  f"(so {os.cpu_count()} idle cores would give about {os.cpu_count() * batch.total / cpu:.1f} documents/s); second run (all reused): {warm:.1f} s = {batch.total / warm:.1f} documents/s; "
                  f"load average at the end: {_load()}; HarfBuzz subsetter: {documents.harfbuzz_subsetter()}; "
                  f"engine: {pdf_engine.install()}; settings {settings.SETTINGS_MODULE}"},
    ]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (from /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "stat").read_text()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)  # ppid, utime + stime
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo += [child for child, (ppid, _cpu) in stats.items() if ppid == current]
    return total


def _doc_ids(batch) -> list[int]:
    return [entry["doc"] for results in batch.chunks.values_list("results", flat=True) for entry in results if entry.get("doc")]


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
