"""The complaint ledger (投诉受理台账): one row per complaint with every
lifecycle timestamp, the channel, department, category, rating, and whether
each step was on time, as a page and as an Excel workbook (openpyxl).

Rows come from complaints.selectors.complaint_list (scoped by the user,
same filters); the lead department's dispatch is prefetched, so a page or
an export costs a fixed number of queries whatever its length.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.rules import label_map_for

from .models import Complaint, Dispatch
from .selectors import complaint_list, redact_for

EXPORT_MAX_ROWS = getattr(settings, "COMPLAINT_LEDGER_EXPORT_MAX_ROWS", 50000)


def _on_time(done: dt.datetime | None, due: dt.datetime | None, now: dt.datetime) -> bool | None:
    """True / False once done (or once overdue without being done); None when not applicable yet."""
    if due is None:
        return None
    if done is None:
        return False if now > due else None
    return done <= due


@dataclass
class LedgerRow:
    complaint: Complaint
    lead: Dispatch | None
    dispatch_on_time: bool | None
    sign_on_time: bool | None
    reply_on_time: bool | None
    callback_on_time: bool | None
    contact_on_time: bool | None
    rectify_on_time: bool | None
    suspended_hours: float
    rating_label: str


def ledger_queryset(*, user, filters: dict | None = None):
    lead = Dispatch.objects.filter(role=Dispatch.Role.LEAD).exclude(status=Dispatch.Status.REDIRECTED).order_by("-pk")
    return complaint_list(user=user, filters=filters).prefetch_related(Prefetch("dispatches", queryset=lead, to_attr="lead_dispatches"))


def ledger_rows(complaints, *, user, now: dt.datetime | None = None) -> list[LedgerRow]:
    now = now or timezone.now()
    complaints = redact_for(user=user, complaints=complaints)
    ratings = label_map_for("haocha_rating")
    rows = []
    for c in complaints:
        lead = c.lead_dispatches[0] if getattr(c, "lead_dispatches", None) else None
        clock_stopped = c.suspended_since is not None
        rows.append(LedgerRow(
            complaint=c, lead=lead,
            dispatch_on_time=None if c.resolved_on_spot else _on_time(c.dispatched_at, c.dispatch_due, now),
            sign_on_time=_on_time(lead.signed_at, lead.sign_due, now) if lead else None,
            reply_on_time=None if clock_stopped and not c.replied_at else _on_time(c.replied_at, c.deadline, now),
            callback_on_time=_on_time(c.called_back_at or c.rated_at, c.callback_due, now),
            contact_on_time=_on_time(c.contacted_after_bad_at, c.contact_due, now),
            rectify_on_time=_on_time(c.rectified_at, c.rectify_due, now),
            suspended_hours=round(c.suspended_seconds / 3600, 1),
            rating_label=ratings.get(c.rating, c.rating),
        ))
    return rows


def _fmt(value) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _yes_no(value: bool | None) -> str:
    return "" if value is None else (_("是") if value else _("否"))


def columns() -> list[str]:
    return [
        _("编号"), _("受理时间"), _("来源渠道"), _("诉求类型"), _("类别"), _("标题"), _("地点"), _("承办单位"), _("状态"),
        _("派单时间"), _("按时派单"), _("签收时间"), _("按时签收"), _("办理期限"), _("答复时间"), _("按时答复"),
        _("回访时间"), _("评价时间"), _("按时回访"), _("评价"), _("差评后联系群众"), _("按时联系"), _("整改期限"), _("整改反馈时间"), _("按时整改"),
        _("办结时间"), _("挂起时长（小时）"), _("现场办结"), _("办理轮次"),
    ]


def row_values(row: LedgerRow) -> list:
    c = row.complaint
    return [
        c.number, _fmt(c.received_at), c.get_channel_display(), c.get_kind_display(), c.category.name, c.title, c.place,
        (c.department.short_name or c.department.name) if c.department else "", c.get_status_display(),
        _fmt(c.dispatched_at), _yes_no(row.dispatch_on_time), _fmt(row.lead.signed_at if row.lead else None), _yes_no(row.sign_on_time),
        _fmt(c.deadline), _fmt(c.replied_at), _yes_no(row.reply_on_time),
        _fmt(c.called_back_at), _fmt(c.rated_at), _yes_no(row.callback_on_time), row.rating_label,
        _fmt(c.contacted_after_bad_at), _yes_no(row.contact_on_time),
        _fmt(c.rectify_due), _fmt(c.rectified_at), _yes_no(row.rectify_on_time),
        _fmt(c.closed_at), row.suspended_hours, _yes_no(c.resolved_on_spot), c.handling_round,
    ]


def ledger_xlsx(*, user, filters: dict | None = None) -> tuple[bytes, int, bool]:
    """The filtered ledger as an .xlsx workbook: (bytes, rows written, truncated?).
    Written in openpyxl's write-only mode, reading the rows in chunks."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("投诉受理台账"))
    header = []
    for title in columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    qs = ledger_queryset(user=user, filters=filters)
    written, now = 0, timezone.now()
    chunk: list[Complaint] = []
    for complaint in qs.iterator(chunk_size=2000):
        if written >= EXPORT_MAX_ROWS:
            break
        chunk.append(complaint)
        written += 1
        if len(chunk) == 2000:
            for row in ledger_rows(chunk, user=user, now=now):
                sheet.append(row_values(row))
            chunk = []
    for row in ledger_rows(chunk, user=user, now=now):
        sheet.append(row_values(row))
    truncated = written >= EXPORT_MAX_ROWS and qs[EXPORT_MAX_ROWS:EXPORT_MAX_ROWS + 1].exists()
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), written, truncated
