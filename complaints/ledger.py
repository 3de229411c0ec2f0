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

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.rules import label_map_for

from .models import Complaint, Dispatch
from .selectors import complaint_list, redact_for



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
        _("派单期限"), _("派单时间"), _("按时派单"), _("签收期限"), _("签收时间"), _("按时签收"), _("办理期限"),
        _("答复签发时间"), _("答复审核时间"), _("答复时间"), _("按时答复"),
        _("回访期限"), _("回访时间"), _("评价时间"), _("按时回访"), _("评价"), _("差评后联系期限"), _("差评后联系群众"), _("按时联系"),
        _("整改期限"), _("整改反馈时间"), _("按时整改"),
        _("办结时间"), _("挂起时长（小时）"), _("挂起中（自）"), _("现场办结"), _("办理轮次"),
    ]


def row_values(row: LedgerRow) -> list:
    c = row.complaint
    replies = getattr(c, "export_replies", None) or []
    last = replies[-1] if replies else None
    return [
        c.number, _fmt(c.received_at), c.get_channel_display(), c.get_kind_display(), c.category.name, c.title, c.place,
        (c.department.short_name or c.department.name) if c.department else "", c.get_status_display(),
        _fmt(c.dispatch_due), _fmt(c.dispatched_at), _yes_no(row.dispatch_on_time),
        _fmt(row.lead.sign_due if row.lead else None), _fmt(row.lead.signed_at if row.lead else None), _yes_no(row.sign_on_time),
        _fmt(c.deadline), _fmt(last.signed_at if last else None), _fmt(last.reviewed_at if last else None),
        _fmt(c.replied_at), _yes_no(row.reply_on_time),
        _fmt(c.callback_due), _fmt(c.called_back_at), _fmt(c.rated_at), _yes_no(row.callback_on_time), row.rating_label,
        _fmt(c.contact_due), _fmt(c.contacted_after_bad_at), _yes_no(row.contact_on_time),
        _fmt(c.rectify_due), _fmt(c.rectified_at), _yes_no(row.rectify_on_time),
        _fmt(c.closed_at), row.suspended_hours, _fmt(c.suspended_since), _yes_no(c.resolved_on_spot), c.handling_round,
    ]


# --- Excel (workflow.exports) --------------------------------------------------------------------------
def export_queryset(*, user, filters: dict | None = None):
    """The ledger's rows for an export: with the replies (sign-off and review times), one query per chunk."""
    from .models import ComplaintReply

    return ledger_queryset(user=user, filters=filters).prefetch_related(
        Prefetch("replies", queryset=ComplaintReply.objects.order_by("round", "pk"), to_attr="export_replies"),
    )


def export_rows(complaints, *, user, now) -> list[list]:
    return [row_values(row) for row in ledger_rows(complaints, user=user, now=now)]


def _can_export(user) -> bool:
    from workflow.selectors import user_roles

    from .roles import STAFF_ROLES

    return bool(user_roles(user=user) & {str(r) for r in STAFF_ROLES})


def _cleaner(form_class):
    def clean(params: dict) -> dict:
        form = form_class(params)
        if not form.is_valid():
            raise ValidationError([f"{form.fields[name].label}：{' '.join(errors)}" if name in form.fields else " ".join(errors)
                                   for name, errors in form.errors.items()])
        return form.filters()
    return clean


def _labels(form_class) -> dict:
    return {name: f.label for name, f in form_class.base_fields.items()}


def register_exports() -> None:
    """The complaint list and the ledger export the same columns (every lifecycle timestamp)."""
    from workflow.exports import ExportKind, register_export

    from .forms import FilterForm, LedgerFilterForm

    common = dict(can_export=_can_export, queryset=export_queryset, columns=columns, rows=export_rows)
    register_export(ExportKind(
        code="complaint_list", label=gettext_lazy("投诉工单"), params=tuple(FilterForm.base_fields), clean=_cleaner(FilterForm),
        list_url="complaints:list", param_labels=_labels(FilterForm), **common,
    ))
    register_export(ExportKind(
        code="complaint_ledger", label=gettext_lazy("投诉受理台账"), params=tuple(LedgerFilterForm.base_fields),
        clean=_cleaner(LedgerFilterForm), list_url="complaints:ledger", param_labels=_labels(LedgerFilterForm), **common,
    ))


def ledger_xlsx(*, user, filters: dict | None = None) -> tuple[bytes, int, bool]:
    """The filtered ledger as an .xlsx workbook: (bytes, rows written, truncated?), written in
    openpyxl's write-only mode in chunks (workflow.exports.write_workbook)."""
    from workflow.exports import export_kind, write_workbook

    out = io.BytesIO()
    written, truncated = write_workbook(export_kind("complaint_ledger"), user=user, filters=filters or {}, params={}, out=out)
    return out.getvalue(), written, truncated
