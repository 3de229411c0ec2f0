"""The 通报 pages: the list, drafting, one report (revise, regenerate, submit, approve, return)."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import dashboard, registry, reports
from .models import Report
from .web import StyledForm, apply_service_errors, statistics_date_validators


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
    """The reports the user sees, newest first, with their status and PDFs: published ones for
    everyone the dashboard is for; drafts and those awaiting approval for drafters and approvers."""
    qs = reports.list_reports_for(user=request.user)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    scopes = dict(reports.scope_choices())
    rows = [{"report": r, "pdf": reverse("document-pdf", args=[reports.REPORT_KIND, r.pk]), "scope": scopes.get(r.scope, r.scope)} for r in page]
    return render(request, "workflow/reports.html", {
        "page": page, "rows": rows, "can_issue": reports.report_can_issue_any(user=request.user),
    })


def _initial_from(request) -> dict:
    initial = {"period": Report.Period.MONTH, "date": reports.last_month(timezone.localdate())}
    prefill = ReportForm(request.GET, user=request.user)
    prefill.is_valid()  # only the valid fields of the dashboard's query are taken
    cleaned = getattr(prefill, "cleaned_data", {})
    initial.update({k: v for k, v in cleaned.items() if v and k in ("period", "date", "start", "end", "rank_by")})
    case_type = (request.GET.get("case_type") or "").partition(".")[0]
    if case_type in dict(reports.scope_choices(user=request.user)):
        initial["scope"] = case_type
    return initial


@login_required
def report_new(request):
    """GET: the form (the dashboard's period prefilled from ?period=&date=&start=&end=); POST: draft."""
    if not reports.report_can_issue_any(user=request.user):
        raise PermissionDenied(_("只有能查看全部单位统计数据的督查人员、提案委和热线派单中心可以起草通报。"))
    if request.method == "POST":
        form = ReportForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                report = reports.report_draft(actor=request.user, **_issue_params(form.cleaned_data))
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("已生成通报草稿：%(title)s。请核对后送审。") % {"title": report.title})
                return redirect("supervision-report", pk=report.pk)
    else:
        form = ReportForm(user=request.user, initial=_initial_from(request))
    return render(request, "workflow/report_form.html", {"form": form, "minimum": dashboard.ranking_minimum(), "report": None})


@login_required
def report_detail(request, pk: int):
    """One report: its status, who drafted, submitted, returned or approved it, the PDF and
    the actions the user may take (revise, regenerate, submit; approve, return)."""
    report = reports.report_get(user=request.user, pk=pk)
    can_edit = report.is_editable and reports.report_can_edit(user=request.user, report=report)
    can_approve = report.status == Report.Status.SUBMITTED and reports.report_can_approve(user=request.user, report=report)
    own = reports.report_is_own(user=request.user, report=report)
    return render(request, "workflow/report_detail.html", {
        "report": report, "pdf": reverse("document-pdf", args=[reports.REPORT_KIND, report.pk]),
        "scope": dict(reports.scope_choices()).get(report.scope, report.scope),
        "can_edit": can_edit, "can_approve": can_approve and not own, "own_draft": can_approve and own,
        "reason_max": reports.REASON_MAX,
    })


@login_required
def report_edit(request, pk: int):
    """GET: the form with the report's period; POST: revise the draft (figures computed again)."""
    report = reports.report_get(user=request.user, pk=pk)
    if not reports.report_can_edit(user=request.user, report=report):
        raise PermissionDenied(_("只有起草部门（能查看全部单位统计数据的人员）可以修改通报草稿。"))
    if request.method == "POST":
        form = ReportForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                reports.report_revise(actor=request.user, report=report, **_issue_params(form.cleaned_data))
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("通报草稿已修改，数据已重新生成。"))
                return redirect("supervision-report", pk=report.pk)
    else:
        custom = report.period_kind == Report.Period.CUSTOM
        form = ReportForm(user=request.user, initial={
            "period": report.period_kind, "date": report.first_day, "start": report.first_day if custom else None,
            "end": report.last_day if custom else None, "scope": report.scope, "rank_by": report.rank_by,
        })
    return render(request, "workflow/report_form.html", {"form": form, "minimum": dashboard.ranking_minimum(), "report": report})


def _action(request, pk: int, call, done: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    report = reports.report_get(user=request.user, pk=pk)
    try:
        call(report)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("supervision-report", pk=report.pk)


@login_required
def report_regenerate(request, pk: int):
    return _action(request, pk, lambda r: reports.report_regenerate(actor=request.user, report=r), _("数据已重新生成。"))


@login_required
def report_submit(request, pk: int):
    return _action(request, pk, lambda r: reports.report_submit(actor=request.user, report=r), _("通报已送审，等待领导审批。"))


@login_required
def report_approve(request, pk: int):
    return _action(request, pk, lambda r: reports.report_approve(actor=request.user, report=r), _("通报已审批发布，已通知相关单位。"))


@login_required
def report_return(request, pk: int):
    return _action(request, pk, lambda r: reports.report_return(actor=request.user, report=r, reason=request.POST.get("reason", "")),
                   _("通报已退回起草人修改。"))
