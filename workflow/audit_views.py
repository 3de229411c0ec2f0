"""The audit administrator's pages: search the audit trail and export it to Excel.

/security/audit/ needs workflow.view_securityevent, its export (/security/audit.xlsx)
workflow.export_securityevent too (the audit administrator's role holds both); anyone else
gets a 403. The export is itself a row of the trail (workflow.audit.audit_export).
"""
from __future__ import annotations

import datetime as dt
import io

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit, selectors
from .exports import XLSX_TYPE
from .models import SecurityEvent
from .web import StyledForm, export_post_only, querystring_without_page

PAGE_SIZE = 50
EXPORT_MAX_ROWS = getattr(settings, "AUDIT_EXPORT_MAX_ROWS", 100000)
VIEW_PERMISSION = "workflow.view_securityevent"
EXPORT_PERMISSION = "workflow.export_securityevent"


class AuditFilterForm(StyledForm):
    since = forms.DateField(label=gettext_lazy("日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=gettext_lazy("类型"), required=False)
    username = forms.CharField(label=gettext_lazy("用户名"), required=False, max_length=150)
    case = forms.CharField(label=gettext_lazy("案件"), required=False, max_length=200, help_text=gettext_lazy("编号，如 TS2026000001、第28号"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部"))] + list(SecurityEvent.Kind.choices)

    def filters(self) -> dict:
        """The selector's filters (a day range in local time; `until` is included)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        local = timezone.get_current_timezone()
        return {
            "since": dt.datetime.combine(data["since"], dt.time.min, tzinfo=local) if data.get("since") else None,
            "until": dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=local) if data.get("until") else None,
            "kind": data.get("kind") or "",
            "username": (data.get("username") or "").strip(),
            "case": (data.get("case") or "").strip(),
        }


def _require(user, permission: str) -> None:
    if not (user.is_active and user.has_perm(permission)):
        raise PermissionDenied(_("只有审计管理员可以查看和导出审计记录。"))


@login_required
def audit_trail(request):
    """Search the audit trail: by day range, kind, user name and case; newest first."""
    _require(request.user, VIEW_PERMISSION)
    form = AuditFilterForm(request.GET or None)
    qs = selectors.audit_event_list(user=request.user, filters=form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workflow/audit_trail.html", {
        "form": form, "page": page, "querystring": querystring_without_page(request),
        "can_export": request.user.has_perm(EXPORT_PERMISSION), "export_max": EXPORT_MAX_ROWS,
    })


COLUMNS = (
    gettext_lazy("序号"), gettext_lazy("时间"), gettext_lazy("类型"), gettext_lazy("用户名"), gettext_lazy("IP 地址"),
    gettext_lazy("浏览器标识"), gettext_lazy("对象类型"), gettext_lazy("对象编号"), gettext_lazy("对象"), gettext_lazy("详情"),
    gettext_lazy("前一条哈希"), gettext_lazy("哈希"),
)


def audit_xlsx(qs) -> tuple[bytes, int, bool]:
    """The rows as an .xlsx workbook (openpyxl, write-only, read in chunks): (bytes, rows, truncated?)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("审计记录"))
    header = []
    for title in COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    kinds = dict(SecurityEvent.Kind.choices)
    written = 0
    for event in qs.iterator(chunk_size=2000):
        if written >= EXPORT_MAX_ROWS:
            break
        sheet.append([
            event.sequence, timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"), str(kinds.get(event.kind, event.kind)),
            event.username, event.ip_address or "", event.user_agent, event.object_type, event.object_id, event.object_repr,
            event.detail_text, event.prev_hash, event.hash,
        ])
        written += 1
    truncated = written >= EXPORT_MAX_ROWS and qs[EXPORT_MAX_ROWS:EXPORT_MAX_ROWS + 1].exists()
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), written, truncated


@login_required
@export_post_only("audit-trail")
def audit_trail_export(request):
    """The filtered rows as an Excel workbook (at most EXPORT_MAX_ROWS); the export is audited."""
    _require(request.user, VIEW_PERMISSION)
    _require(request.user, EXPORT_PERMISSION)
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    data, count, truncated = audit_xlsx(selectors.audit_event_list(user=request.user, filters=filters))
    audit.audit_export(actor=request.user, what="audit_trail", rows=count, filters=filters, truncated=truncated, request=request)
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{timezone.localdate():%Y%m%d}.xlsx"'
    response["X-Audit-Rows"] = str(count)
    response["X-Audit-Truncated"] = "1" if truncated else "0"
    response["Cache-Control"] = "private, no-store"
    return response
