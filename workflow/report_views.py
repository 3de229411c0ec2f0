"""The 通报 pages: /supervision/reports/ (the list) and /supervision/reports/new/ (issuing one)."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import dashboard, registry, reports
from .models import Report
from .web import StyledForm, statistics_date_validators


class ReportForm(StyledForm):
    period = forms.ChoiceField(label=gettext_lazy("统计周期"), choices=Report.Period.choices, initial=Report.Period.MONTH)
    date = forms.DateField(label=gettext_lazy("日期"), required=False, validators=statistics_date_validators(), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           help_text=gettext_lazy("所在的日、月、季度或年（须已结束）"))
    start = forms.DateField(label=gettext_lazy("自"), required=False, validators=statistics_date_validators(), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=gettext_lazy("至"), required=False, validators=statistics_date_validators(), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    scope = forms.ChoiceField(label=gettext_lazy("范围"), required=False)
    rank_by = forms.ChoiceField(label=gettext_lazy("排名依据"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = reports.scope_choices(user=user)
        metrics = [("", _("默认（按时办结率）"))]
        for p in registry.metric_providers():
            metrics += [(m.code, m.label) for m in p.metrics if m.code not in dict(metrics)]
        self.fields["rank_by"].choices = metrics
        self._style()


def _issue_params(data: dict) -> dict:
    return {
        "kind": data["period"], "day": data.get("date") or reports.last_month(timezone.localdate()), "start": data.get("start"), "end": data.get("end"),
        "scope": data.get("scope") or "", "rank_by": data.get("rank_by") or "",
    }


@login_required
def report_list(request):
    """The issued reports, newest first, with their PDFs (everyone the dashboard is for)."""
    qs = reports.list_reports_for(user=request.user)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    scopes = dict(reports.scope_choices())
    rows = [{"report": r, "pdf": reverse("document-pdf", args=[reports.REPORT_KIND, r.pk]), "scope": scopes.get(r.scope, r.scope)} for r in page]
    return render(request, "workflow/reports.html", {
        "page": page, "rows": rows, "can_issue": reports.report_can_issue_any(user=request.user),
    })


@login_required
def report_new(request):
    """GET: the form (the dashboard's period prefilled from ?period=&date=&start=&end=); POST: issue."""
    if not reports.report_can_issue_any(user=request.user):
        raise PermissionDenied(_("只有能查看全部单位统计数据的督查人员、提案委和热线派单中心可以发布通报。"))
    if request.method == "POST":
        form = ReportForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                report = reports.report_issue(actor=request.user, **_issue_params(form.cleaned_data))
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(request, _("已发布通报：%(number)s %(title)s") % {"number": report.doc_number, "title": report.title})
                return redirect("supervision-reports")
    else:
        initial = {"period": Report.Period.MONTH, "date": reports.last_month(timezone.localdate())}
        prefill = ReportForm(request.GET, user=request.user)
        prefill.is_valid()  # only the valid fields of the dashboard's query are taken
        cleaned = getattr(prefill, "cleaned_data", {})
        initial.update({k: v for k, v in cleaned.items() if v and k in ("period", "date", "start", "end", "rank_by")})
        case_type = (request.GET.get("case_type") or "").partition(".")[0]
        if case_type in dict(reports.scope_choices(user=request.user)):
            initial["scope"] = case_type
        form = ReportForm(user=request.user, initial=initial)
    return render(request, "workflow/report_form.html", {"form": form, "minimum": dashboard.ranking_minimum()})
