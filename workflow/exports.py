"""Excel exports of lists (openpyxl), for every list a case app registers.

A case app registers an ``ExportKind`` per list: who may export it, how the
list's own query parameters become its selector's filters, the selector
itself (scoped by the user: a department user exports only what they may
see) and how one chunk of rows becomes spreadsheet rows in a fixed number
of queries. The engine names no case app.

``export_start`` counts the rows: up to ``EXPORT_DIRECT_MAX_ROWS`` (2,000 by
default) the workbook is written in the request and returned; above it an
``ExportJob`` is created and the Celery task ``workflow.export_job_run``
writes it in chunks (openpyxl's write-only mode), updating the progress bar.
The task is safe to run twice (a job is claimed by a status update, a job a
stopped worker left is taken over after ``EXPORT_STALE_SECONDS``), and
``workflow.export_job_flush`` queues again the jobs that were never started.
Every export is a row of the audit trail (``audit_export``), when it is asked for.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .queueing import delay_or_log

logger = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def direct_max_rows() -> int:
    return int(getattr(settings, "EXPORT_DIRECT_MAX_ROWS", 2000))


def max_rows() -> int:
    return int(getattr(settings, "EXPORT_MAX_ROWS", 200_000))


def stale_seconds() -> int:
    return int(getattr(settings, "EXPORT_STALE_SECONDS", 600))


CHUNK_SIZE = 1000


@dataclass(frozen=True)
class ExportKind:
    """A list that exports to Excel.

    * ``params``: the list page's query parameters that are filters (others are ignored);
    * ``can_export(user) -> bool``: who may export it (the list page's own check);
    * ``clean(params) -> filters``: the parameters as the selector's filters; a
      ``ValidationError`` for a bad value (never a 500);
    * ``queryset(user, filters)``: the list's selector, scoped by the user;
    * ``columns() -> [str]``: the header row;
    * ``rows(objects, user, now) -> [[value, ...]]``: one chunk of the queryset as rows,
      in a fixed number of queries whatever the chunk's length;
    * ``list_url``: the list page's URL name (the job page links back to it).
    """

    code: str
    label: Any
    params: tuple[str, ...]
    can_export: Callable[[Any], bool]
    clean: Callable[[dict], Any]
    queryset: Callable[..., Any]
    columns: Callable[[], list]
    rows: Callable[..., list]
    list_url: str = ""
    audit_name: str = ""  # the audit trail's name for it (defaults to the code)
    param_labels: dict = field(default_factory=dict)


_kinds: dict[str, ExportKind] = {}


def register_export(kind: ExportKind) -> None:
    _kinds[kind.code] = kind


def export_kind(code: str) -> ExportKind | None:
    return _kinds.get(code)


def _require(user, code: str) -> ExportKind:
    kind = _kinds.get(code)
    if kind is None:
        raise Http404(_("没有这种导出。"))
    if not (user and user.is_authenticated and kind.can_export(user)):
        raise PermissionDenied(_("您无权导出该列表。"))
    return kind


def params_from(kind: ExportKind, query) -> dict:
    """The filters among a page's query parameters (a QueryDict or a dict), empty ones left out:
    {name: value} or {name: [values]} when repeated. This is what a job keeps as JSON."""
    result: dict = {}
    for name in kind.params:
        if hasattr(query, "getlist"):
            values = [v for v in query.getlist(name) if v not in ("", None)]
        else:
            raw = query.get(name)
            values = [v for v in (raw if isinstance(raw, (list, tuple)) else [raw]) if v not in ("", None)]
        values = [str(v) if not isinstance(v, bool) else ("on" if v else "") for v in values]
        values = [v for v in values if v]
        if values:
            result[name] = values[0] if len(values) == 1 else values
    return result


def _fmt(value) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return ""
    return value


def write_workbook(kind: ExportKind, *, user, filters, params: dict, out, progress: Callable[[int], None] | None = None) -> tuple[int, bool]:
    """Write the export into `out` (a binary file): the rows sheet, then a sheet saying
    who exported what, when and with which filters. Returns (rows written, truncated?)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    limit = max_rows()
    now = timezone.now()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(kind.label)[:31])
    columns = [str(c) for c in kind.columns()]
    for index in range(len(columns)):
        sheet.column_dimensions[_column_letter(index)].width = 18
    sheet.freeze_panes = "A2"
    header = []
    for title in columns:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    written = 0
    chunk: list = []
    qs = kind.queryset(user=user, filters=filters)

    def flush(objects):
        nonlocal written
        for row in kind.rows(objects, user=user, now=now):
            sheet.append([_fmt(v) for v in row])
        written += len(objects)
        if progress:
            progress(written)

    truncated = False
    for obj in qs.iterator(chunk_size=CHUNK_SIZE):
        if written + len(chunk) >= limit:
            truncated = True
            break
        chunk.append(obj)
        if len(chunk) == CHUNK_SIZE:
            flush(chunk)
            chunk = []
    if chunk:
        flush(chunk)
    about = workbook.create_sheet(_("导出说明"))
    about.append([_("导出内容"), str(kind.label)])
    about.append([_("导出人"), str(getattr(user, "full_name", "") or user.get_username())])
    about.append([_("导出时间"), _fmt(now)])
    about.append([_("行数"), written])
    if truncated:
        about.append([_("说明"), _("超过%(n)d行，只导出了前%(n)d行，请缩小筛选范围。") % {"n": limit}])
    labels = kind.param_labels or {}
    if params:
        for name, value in params.items():
            about.append([_("筛选：%(name)s") % {"name": str(labels.get(name, name))}, value if isinstance(value, str) else "、".join(value)])
    else:
        about.append([_("筛选"), _("无（全部）")])
    workbook.save(out)
    return written, truncated


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


@dataclass
class DirectExport:
    content: bytes
    rows: int
    truncated: bool
    filename: str


def export_filename(kind: ExportKind) -> str:
    return f"{kind.label}-{timezone.localdate():%Y%m%d}.xlsx"


def export_start(*, actor, kind: str, params: dict, request=None, direct_allowed: bool = True):
    """Export a list with these filters: a DirectExport (the workbook, written now) when it
    has at most EXPORT_DIRECT_MAX_ROWS rows, else a queued ExportJob. PermissionDenied for
    someone who may not export the list, ValidationError for a bad filter."""
    from .audit import audit_export
    from .models import ExportJob

    spec = _require(actor, kind)
    params = params_from(spec, params)
    filters = spec.clean(params)
    total = min(spec.queryset(user=actor, filters=filters).count(), max_rows())
    what = spec.audit_name or spec.code
    if direct_allowed and total <= direct_max_rows():
        out = io.BytesIO()
        rows, truncated = write_workbook(spec, user=actor, filters=filters, params=params, out=out)
        audit_export(actor=actor, what=what, rows=rows, filters=params, truncated=truncated, request=request)
        return DirectExport(out.getvalue(), rows, truncated, export_filename(spec))
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.create(
            kind=spec.code, label=str(spec.label)[:200], filters=params, total=total, requested_by=actor, created_at=now, updated_at=now,
        )
        audit_export(actor=actor, what=what, rows=total, filters=params, truncated=total >= max_rows(), request=request)
        transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id: int) -> None:
    """Queue the job (workflow.queueing: a broker that is down is logged; the flush retries)."""
    from .tasks import export_job_run

    delay_or_log(export_job_run, job_id)


def export_jobs_due() -> list[int]:
    """Jobs to queue again: pending for over a minute, or running without progress for EXPORT_STALE_SECONDS."""
    from .models import ExportJob

    now = timezone.now()
    return list(ExportJob.objects.filter(
        Q(status=ExportJob.Status.PENDING, created_at__lt=now - timedelta(seconds=60))
        | Q(status=ExportJob.Status.RUNNING, updated_at__lt=now - timedelta(seconds=stale_seconds())),
    ).order_by("pk").values_list("pk", flat=True)[:100])


def export_files_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files of exports finished more than EXPORT_KEEP_DAYS ago (the job stays, as
    "文件已清理"): exported personal data does not pile up on the server."""
    from .models import ExportJob

    now = now or timezone.now()
    cutoff = now - timedelta(days=int(getattr(settings, "EXPORT_KEEP_DAYS", 7)))
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, finished_at__lt=cutoff).order_by("pk")[:500]:
        if job.file:
            job.file.storage.delete(job.file.name)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.EXPIRED, file="", updated_at=now)
        expired += 1
    return expired


def _claim(job_id: int) -> bool:
    from .models import ExportJob

    now = timezone.now()
    stale = now - timedelta(seconds=stale_seconds())
    return bool(ExportJob.objects.filter(
        Q(status=ExportJob.Status.PENDING) | Q(status=ExportJob.Status.RUNNING, updated_at__lt=stale), pk=job_id,
    ).update(status=ExportJob.Status.RUNNING, done=0, updated_at=now))


def export_job_run(*, job_id: int) -> str:
    """Write the job's workbook. Safe to run twice: a finished job, or one another worker is
    writing, is left alone; one a stopped worker left is taken over and written again.
    The rows are those the requester may see now (their selector, their scope)."""
    from .models import ExportJob

    if not _claim(job_id):
        return ExportJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing"
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        spec = _require(job.requested_by, job.kind)
        filters = spec.clean(job.filters or {})

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job_id).update(done=done, updated_at=timezone.now())

        with tempfile.TemporaryFile() as out:
            rows, truncated = write_workbook(spec, user=job.requested_by, filters=filters, params=job.filters or {}, out=out,
                                             progress=progress)
            out.seek(0, io.SEEK_END)
            size = out.tell()
            out.seek(0)
            job.refresh_from_db()
            old = job.file.name if job.file else ""
            job.file.save("export.xlsx", File(out), save=False)
            if old and old != job.file.name:
                job.file.storage.delete(old)
        now = timezone.now()
        job.size, job.done, job.total, job.truncated = size, rows, max(rows, 0), truncated
        job.status, job.finished_at, job.updated_at, job.error = ExportJob.Status.DONE, now, now, ""
        job.save(update_fields=["file", "size", "done", "total", "truncated", "status", "finished_at", "updated_at", "error"])
    except (PermissionDenied, Http404, ValidationError) as exc:
        message = " ".join(getattr(exc, "messages", None) or [str(exc)])
        ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, error=message[:2000], updated_at=timezone.now())
        return ExportJob.Status.FAILED
    except Exception as exc:
        logger.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, error=str(exc)[:2000], updated_at=timezone.now())
        raise
    return ExportJob.Status.DONE


# --- reading ---------------------------------------------------------------------------------------
def export_jobs_for(*, user):
    """The user's own exports, newest first."""
    from .models import ExportJob

    if not (user and user.is_authenticated):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(requested_by=user).order_by("-created_at", "-pk")


def export_job_get(*, user, pk: int):
    """One export: 404 when there is none, 403 when it is someone else's."""
    from .models import ExportJob

    job = ExportJob.objects.filter(pk=pk).first()
    if job is None:
        raise Http404(_("没有找到该导出。"))
    if not (user and user.is_authenticated and job.requested_by_id == user.pk):
        raise PermissionDenied(_("只有发起导出的人可以查看和下载该文件。"))
    return job


def export_job_filename(job) -> str:
    return f"{job.label}-{timezone.localtime(job.created_at):%Y%m%d-%H%M}.xlsx"


def export_filter_items(job) -> list[tuple[str, str]]:
    """The job's filters as (label, value) pairs for its page."""
    spec = _kinds.get(job.kind)
    labels = spec.param_labels if spec else {}
    return [(str(labels.get(k, k)), v if isinstance(v, str) else "、".join(map(str, v))) for k, v in (job.filters or {}).items()]


def export_list_url(job) -> str:
    from django.urls import NoReverseMatch, reverse
    from django.utils.http import urlencode

    spec = _kinds.get(job.kind)
    if spec is None or not spec.list_url:
        return ""
    try:
        url = reverse(spec.list_url)
    except NoReverseMatch:
        return ""
    return url + ("?" + urlencode(job.filters, doseq=True) if job.filters else "")

