"""Periodic and background jobs of the engine. Tasks take ids, load, call a service."""
import datetime as dt
import os

from celery import shared_task
from django.utils import timezone

from . import services
from .notifications import DeliveryFailed


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


@shared_task(name="workflow.daily_figures_refresh")
def daily_figures_refresh(now: str | None = None) -> dict:
    """The dashboard's pre-aggregated days (workflow.daily_figures): fill the finished days
    that are missing, expired or changed. `now` (ISO datetime) is for replays and tests."""
    from .daily_figures import daily_figures_refresh as refresh

    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    return refresh(now=moment)


@shared_task(name="workflow.ping", bind=True, ignore_result=False)
def ping(self, nonce: str = "") -> dict:
    """Answer who ran it: proves a task sent through the broker reached a worker.

    `make prod-check` sends it through Redis and reads the answer from the
    result backend (CELERY_RESULT_BACKEND); beat sends it there too. It
    changes nothing, so it is safe to run any number of times.
    """
    return {"nonce": nonce, "hostname": self.request.hostname, "pid": os.getpid(), "eager": bool(self.request.is_eager)}


@shared_task(
    name="workflow.outbound_send", bind=True,
    autoretry_for=(DeliveryFailed,), retry_backoff=30, retry_backoff_max=3600, retry_jitter=True,
    max_retries=20,  # a ceiling only: the row's attempts (NOTIFY_MAX_ATTEMPTS) stop it first
)
def outbound_send(self, message_id: int) -> str:
    """Send one outbox e-mail or text message (workflow.notifications.outbound_send).

    Safe to run twice: the row is claimed by a status update before sending. A failure
    is recorded on the row and raised, and Celery retries with backoff; the row's
    attempts decide when to stop (NOTIFY_MAX_ATTEMPTS): then it stays failed, and the
    task returns normally.
    """
    from . import notifications

    return notifications.outbound_send(message_id=message_id, retrying=self.request.retries > 0)


@shared_task(name="workflow.outbound_flush")
def outbound_flush(now: str | None = None) -> int:
    """Every minute: queue the outbox messages now due (SMS held over quiet hours, retries
    whose Celery retry was lost, sends a stopped worker left). Safe to run twice."""
    from . import notifications

    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    ids = notifications.outbound_due(now=moment)
    notifications.queue_now(ids)
    return len(ids)


@shared_task(name="workflow.document_batch_run")
def document_batch_run(batch_id: int) -> str:
    """Bulk generation of documents into a ZIP (workflow.documents); safe to run twice."""
    from .documents import document_batch_run as run

    return run(batch_id=batch_id)


@shared_task(name="workflow.document_batch_chunk")
def document_batch_chunk(batch_id: int, index: int) -> str:
    """One chunk of a batch (workflow.documents.document_batch_chunk_run); the last
    chunk to finish packs the ZIP. Safe to run twice."""
    from .documents import document_batch_chunk_run

    return document_batch_chunk_run(batch_id=batch_id, index=index)


@shared_task(name="workflow.document_batch_flush")
def document_batch_flush() -> int:
    """Every 5 minutes: queue again the batches never started (the broker was down when
    they were queued) and those without progress for 10 minutes (a stopped worker, a
    lost chunk task): their unfinished chunks are queued again. Safe to run twice."""
    from .documents import document_batches_due

    ids = document_batches_due()
    for batch_id in ids:
        document_batch_run.delay(batch_id)
    return len(ids)


@shared_task(name="workflow.export_job_run")
def export_job_run(job_id: int) -> str:
    """Write one Excel export in the background (workflow.exports); safe to run twice."""
    from .exports import export_job_run as run

    return run(job_id=job_id)


@shared_task(name="workflow.export_job_flush")
def export_job_flush() -> int:
    """Every 5 minutes: queue again the exports never started and those a stopped worker left;
    delete the files kept longer than EXPORT_KEEP_DAYS."""
    from .exports import export_files_expire, export_jobs_due

    export_files_expire()
    ids = export_jobs_due()
    for job_id in ids:
        export_job_run.delay(job_id)
    return len(ids)


@shared_task(name="workflow.report_monthly")
def report_monthly(today: str | None = None) -> int:
    """On the 1st of each month: last month's 通报, drafted by the system and submitted to the
    approvers. Safe to run twice (one report per period and scope). `today` (ISO date) is for
    replays and tests."""
    from .reports import report_issue_last_month

    day = dt.date.fromisoformat(today) if today else None
    return report_issue_last_month(today=day).pk


@shared_task(name="workflow.report_daily")
def report_daily(today: str | None = None) -> int | None:
    """Every day at 08:30: on a working day, the previous working day's ranking (一天一排名);
    nothing on a day off. Safe to run twice. `today` (ISO date) is for replays and tests."""
    from .reports import report_daily as daily

    day = dt.date.fromisoformat(today) if today else None
    report = daily(today=day)
    return report.pk if report is not None else None
