"""The supervision dashboard's pages: /supervision/dashboard/ and its Excel export."""
from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import dashboard, registry, reports
from .audit import audit_export
from .exports import XLSX_TYPE
from .models import Department
from .web import StyledForm, export_post_only, statistics_date_validators


class DashboardFilterForm(StyledForm):
    period = forms.ChoiceField(label=gettext_lazy("统计周期"), choices=dashboard.PERIODS, required=False)
    date = forms.DateField(label=gettext_lazy("日期"), required=False, validators=statistics_date_validators(), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           help_text=gettext_lazy("所在的日、月、季度或年"))
    start = forms.DateField(label=gettext_lazy("自"), required=False, validators=statistics_date_validators(), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=gettext_lazy("至"), required=False, validators=statistics_date_validators(), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    department = forms.TypedChoiceField(label=gettext_lazy("单位"), coerce=int, required=False, empty_value=None)
    case_type = forms.ChoiceField(label=gettext_lazy("案件类型"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("类别"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("来源渠道（投诉）"), required=False)
    rank_by = forms.ChoiceField(label=gettext_lazy("排名依据"), required=False)

    def __init__(self, *args, access: dict, **kwargs):
        super().__init__(*args, **kwargs)
        providers = [p for p in registry.metric_providers() if p.code in access]
        if any(a == dashboard.ALL for a in access.values()):
            departments = Department.objects.filter(is_active=True, kind=Department.Kind.GOVERNMENT).order_by("code")
        else:
            departments = Department.objects.filter(pk__in=set().union(*access.values())).order_by("code")
        self.fields["department"].choices = [("", _("全部单位"))] + [(d.pk, d.short_name or d.name) for d in departments]
        case_types, categories, channels, metrics = [("", _("全部类型"))], [("", _("全部类别"))], [("", _("全部渠道"))], [("", _("默认"))]
        for p in providers:
            choices = p.filter_choices()
            case_types.append((p.code, p.label))
            case_types += [(f"{p.code}.{code}", f"{p.label} · {label}") for code, label in choices.get("subtype", [])]
            categories += [(f"{p.code}:{pk}", f"{p.label} · {name}") for pk, name in choices.get("category", [])]
            channels += list(choices.get("channel", []))
        for p in providers:
            metrics += [(m.code, m.label) for m in p.metrics if m.code not in dict(metrics)]
        self.fields["case_type"].choices = case_types
        self.fields["category"].choices = categories
        self.fields["channel"].choices = channels
        self.fields["rank_by"].choices = metrics
        self._style()

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("自定义时段请填写开始和结束日期。"))
            if end < start:
                raise forms.ValidationError(_("结束日期不能早于开始日期。"))
            if (end - start).days > dashboard.MAX_RANGE_DAYS:
                raise forms.ValidationError(_("自定义时段最长三年。"))
        return data

    def params(self) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        return {
            "kind": d.get("period") or "month", "day": d.get("date") or timezone.localdate(),
            "start": d.get("start"), "end": d.get("end"), "department": d.get("department"),
            "category": d.get("category") or "", "channel": d.get("channel") or "", "case_type": d.get("case_type") or "",
            "rank_by": d.get("rank_by") or "",
        }


def _form(request) -> tuple[DashboardFilterForm, dict]:
    access = dashboard.dashboard_access(user=request.user)
    if not access:
        raise PermissionDenied(_("督办看板只对督查人员、提案委、热线派单中心和各承办单位开放。"))
    raw = request.GET.get("department", "")
    if raw.isdecimal() and not any(a == dashboard.ALL or int(raw) in a for a in access.values()):
        raise PermissionDenied(_("您只能查看本单位的统计数据。"))
    form = DashboardFilterForm(request.GET or None, access=access, initial={"period": "month", "date": timezone.localdate()})
    return form, form.params()


@login_required
def supervision_dashboard(request):
    """督办看板: open tasks by deadline state, the figures of the period, trends and rankings."""
    form, params = _form(request)
    board = dashboard.dashboard_build(user=request.user, **params)
    charts = {
        s.code: {"label": str(s.label), **s.trend} for s in board.sections
    }
    return render(request, "workflow/dashboard.html", {
        "form": form, "board": board, "charts": charts, "querystring": request.GET.urlencode(),
        "can_issue_report": reports.report_can_issue_any(user=request.user),  # the 生成通报 button
    })


@login_required
@export_post_only("supervision-dashboard")
def supervision_dashboard_export(request):
    """The dashboard's figures and rankings as an Excel workbook (audited as an export)."""
    form, params = _form(request)
    board = dashboard.dashboard_build(user=request.user, **params)
    data, rows = dashboard.dashboard_xlsx(board)
    audit_export(actor=request.user, what="supervision_dashboard", rows=rows, filters={k: v for k, v in params.items() if v}, request=request)
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="supervision-dashboard-{board.first:%Y%m%d}-{board.last:%Y%m%d}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response
