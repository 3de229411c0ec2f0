"""Periodic and background jobs of the engine. Tasks take ids, load, call a service."""
import datetime as dt
import os

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="workflow.calendar_check_next_year")
def calendar_check_next_year(today: str | None = None) -> int | None:
    """`today` (ISO date) is for replays and tests; beat sends none."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return services.calendar_check_next_year(today=day)


@shared_task(name="workflow.supervision_sweep")
def supervision_sweep(now: str | None = None) -> dict:
    """`now` (ISO datetime) is for replays and tests; beat sends none. "Now" is read once."""
    from .supervision import supervision_sweep as sweep

    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    return sweep(now=moment)


@shared_task(name="workflow.ping", bind=True, ignore_result=False)
def ping(self, nonce: str = "") -> dict:
    """Answer who ran it: proves a task sent through the broker reached a worker.

    `make prod-check` sends it through Redis and reads the answer from the
    result backend (CELERY_RESULT_BACKEND); beat sends it there too. It
    changes nothing, so it is safe to run any number of times.
    """
    return {"nonce": nonce, "hostname": self.request.hostname, "pid": os.getpid(), "eager": bool(self.request.is_eager)}


@shared_task(name="workflow.document_batch_run")
def document_batch_run(batch_id: int) -> str:
    """Bulk generation of documents into a ZIP (workflow.documents); safe to run twice."""
    from .documents import document_batch_run as run

    return run(batch_id=batch_id)
