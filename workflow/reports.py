"""The periodic report (通报): the dashboard's figures of a period, frozen, numbered, as a PDF.

``report_issue(actor=, kind=, day=, ...)`` computes the figures through
workflow.dashboard (the same code as the page), freezes them into the
Report's JSON ``figures`` with the period's breach records (违诺记录, the
通报批评 list), draws the next number of the issuing department's series
"report" and renders the PDF (document kind "report", made from the frozen
figures only: a report never changes after issue).

Who issues: whoever sees every department on the dashboard for each case type
of the report's scope (supervisors, and each case type's own office);
the monthly beat task issues last month's report as the system (actor None).
Who reads: everyone the dashboard is for (department users too: a report is
published to them).

The figures are computed as a reader who sees every case (``_reader``), not
with the issuer's own scope: a report is published to every department and
must not depend on who pressed the button (a supervisor's dashboard may
cover only the cases they supervise).
"""
from __future__ import annotations

import datetime as dt
from html import escape

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import dashboard, registry
from .documents import chinese_date, issuer_size_pt, seal_url, typeset_text
from .models import BreachRecord, Department, Report

REPORT_KIND = "report"
REPORT_SERIES = "report"
ALL_SCOPE = ""
QUARTERS = "一二三四"


# --- who -----------------------------------------------------------------------------------------
def report_can_read(*, user) -> bool:
    """The list page: everyone the dashboard is for (published reports reach the departments),
    the drafters and the approvers (drafts and reports awaiting approval)."""
    return bool(dashboard.dashboard_access(user=user)) or bool(_leader_departments(user))


def _scope_providers(scope: str) -> list:
    return [p for p in registry.metric_providers() if not scope or p.code == scope]


def report_can_issue(*, user, scope: str = ALL_SCOPE) -> bool:
    """Who drafts (and revises, regenerates, submits) a report of the scope: whoever sees every
    department on the dashboard for each case type of the scope."""
    access = dashboard.dashboard_access(user=user)
    providers = _scope_providers(scope)
    return bool(providers) and all(access.get(p.code) == dashboard.ALL for p in providers)


def report_can_issue_any(*, user) -> bool:
    return report_can_issue(user=user) or any(report_can_issue(user=user, scope=p.code) for p in registry.metric_providers())


def scope_choices(*, user=None) -> list[tuple[str, str]]:
    """("", 全部案件类型) and each case type (those the user may draft a report on, when given)."""
    choices = [(ALL_SCOPE, str(_("全部案件类型")))] + [(p.code, str(p.label)) for p in registry.metric_providers()]
    if user is None:
        return choices
    return [(code, label) for code, label in choices if report_can_issue(user=user, scope=code)]


def _leader_departments(user) -> set[int]:
    """The departments the user leads (单位领导)."""
    from .roles import EngineRole
    from .selectors import user_membership_pairs

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return {d for r, d in user_membership_pairs(user=user) if r == EngineRole.DEPT_LEADER}


def _leads_supervision_office(user) -> bool:
    leads = _leader_departments(user)
    return bool(leads) and Department.objects.filter(pk__in=leads, kind=Department.Kind.SUPERVISION_OFFICE, is_active=True).exists()


def report_can_approve(*, user, report: Report) -> bool:
    """The approver (审批领导): a department leader (单位领导) of the report's issuing department
    (the 督查室 for supervisors' and the system's reports; 提案委 / 热线中心 for theirs); a
    report with no issuing department, a leader of the supervision office."""
    if report.issuing_department_id:
        return report.issuing_department_id in _leader_departments(user)
    return _leads_supervision_office(user)


def report_is_own(*, user, report: Report) -> bool:
    """Drafted or submitted it: such a person may not approve it (page, API, service)."""
    return user.pk in {report.drafted_by_id, report.submitted_by_id}


def report_can_edit(*, user, report: Report) -> bool:
    """Revise, regenerate, submit: the drafters of the report's scope."""
    return report_can_issue(user=user, scope=report.scope)


def _unpublished_q(user) -> Q:
    """The unpublished reports the user sees: those of the scopes they draft, and those they approve."""
    q = Q(pk__in=[])
    scopes = [code for code, _label in scope_choices(user=user)]
    if scopes:
        q |= Q(scope__in=scopes)
    leads = _leader_departments(user)
    if leads:
        q |= Q(issuing_department_id__in=sorted(leads))
        if _leads_supervision_office(user):
            q |= Q(issuing_department__isnull=True)
    return q


def report_visible(*, user, report: Report) -> bool:
    if report.is_published:
        return report_can_read(user=user)
    return report_can_edit(user=user, report=report) or report_can_approve(user=user, report=report)


def _reader():
    """The reader the figures are computed for: an unsaved, inactive account that sees every
    case (a superuser for the case apps' selectors) with the engine's supervisor role (the
    dashboard's providers give supervisors every department). Never saved, never logs in."""
    from .models import User
    from .roles import EngineRole

    reader = User(username="report-system", is_superuser=True, is_active=False)
    reader._membership_cache = frozenset({(EngineRole.SUPERVISOR.value, 0)})
    return reader


def list_reports_for(*, user):
    """Published reports for everyone the dashboard is for; drafts, reports awaiting approval and
    returned ones only for their drafters (the scope's) and approvers. 403 for anyone else."""
    if not report_can_read(user=user) and not report_can_issue_any(user=user):
        raise PermissionDenied(_("通报只对督查人员、提案委、热线派单中心和各承办单位开放。"))
    q = _unpublished_q(user)
    if dashboard.dashboard_access(user=user):
        q |= Q(status=Report.Status.PUBLISHED)
    return (
        Report.objects.filter(q).select_related("issued_by", "issuing_department", "drafted_by")
        .defer("figures").order_by("-drafted_at", "-pk")
    )


def report_get(*, user, pk: int) -> Report:
    """One report the user may see: 404 if none, 403 if not theirs to see (a draft for a department)."""
    from django.http import Http404

    from .web import MAX_INT

    if not 0 < pk <= MAX_INT:
        raise Http404
    report = Report.objects.select_related("issued_by", "issuing_department", "drafted_by", "submitted_by", "returned_by").filter(pk=pk).first()
    if report is None:
        raise Http404
    if not report_visible(user=user, report=report):
        raise PermissionDenied(_("该通报尚未发布，只有起草部门和审批领导可以查看。"))
    return report


def report_approvers(report: Report):
    """The people who may approve the report (to be told it awaits them)."""
    from .models import User
    from .roles import EngineRole

    if report.issuing_department_id:
        depts = [report.issuing_department_id]
    else:
        depts = list(Department.objects.filter(kind=Department.Kind.SUPERVISION_OFFICE, is_active=True).values_list("pk", flat=True))
    return User.objects.filter(
        memberships__department_id__in=depts, memberships__role=EngineRole.DEPT_LEADER, memberships__is_active=True, is_active=True,
    ).distinct()


# --- the period and the title -------------------------------------------------------------------
def period_text(kind: str, first: dt.date, last: dt.date) -> str:
    """2026年3月 / 2026年第一季度 / 2026年 / 2026年3月10日 / 2026年3月1日至2026年4月15日."""
    if kind == Report.Period.DAY:
        return chinese_date(first)
    if kind == Report.Period.MONTH:
        return f"{first.year}年{first.month}月"
    if kind == Report.Period.QUARTER:
        return f"{first.year}年第{QUARTERS[(first.month - 1) // 3]}季度"
    if kind == Report.Period.YEAR:
        return f"{first.year}年"
    return f"{chinese_date(first)}至{chinese_date(last)}"


def scope_noun(scope: str) -> str:
    """How the report's title names its case types: each provider's registered noun
    (settings.REPORT_NOUNS may rename them by provider code), else its label."""
    nouns = getattr(settings, "REPORT_NOUNS", {})
    return "和".join(str(nouns.get(p.code) or p.noun or p.label) for p in _scope_providers(scope))


def report_title(kind: str, first: dt.date, last: dt.date, scope: str) -> str:
    return _("关于%(period)s%(noun)s办理情况的通报") % {"period": period_text(kind, first, last), "noun": scope_noun(scope)}


def last_month(today: dt.date) -> dt.date:
    return today.replace(day=1) - dt.timedelta(days=1)


# --- the issuer ----------------------------------------------------------------------------------
def report_issuer(actor) -> Department | None:
    """The department a report is issued in the name of (its 发文字号 prefix): the issuer's
    own department (the first of their memberships), else the supervision office (督查室)."""
    from .selectors import user_membership_pairs

    if actor is not None:
        ids = sorted({d for _r, d in user_membership_pairs(user=actor)})
        found = Department.objects.filter(pk__in=ids, is_active=True).order_by("code", "pk").first()
        if found is not None:
            return found
    return Department.objects.filter(kind=Department.Kind.SUPERVISION_OFFICE, is_active=True).order_by("pk").first()


# --- freezing ----------------------------------------------------------------------------------
def _figure_json(f: dashboard.Figure) -> dict:
    return {
        "code": f.code, "label": str(f.label), "kind": f.kind, "unit": str(f.unit), "num": round(float(f.num), 3), "den": f.den,
        "value": f.value, "display": f.display, "higher_is_better": f.higher_is_better,
    }


def _dept_json(d: Department) -> dict:
    return {"id": d.pk, "name": d.name, "short_name": d.short_name or d.name, "code": d.code}


def freeze(board: dashboard.Dashboard) -> list[dict]:
    """The dashboard's sections as plain JSON (labels as text, in the issue's language)."""
    sections = []
    for s in board.sections:
        ranking = None
        if s.ranking is not None:
            r = s.ranking
            ranking = {
                "metric": {"code": r.metric.code, "label": str(r.metric.label), "kind": r.metric.kind, "unit": str(r.metric.unit),
                           "higher_is_better": r.metric.higher_is_better},
                "minimum": r.minimum,
                "ranked": [{"rank": e.rank, "department": _dept_json(e.row.department), "cases": e.row.cases, **_figure_json(e.figure)} for e in r.ranked],
                "insufficient": [
                    {"department": _dept_json(row.department), "cases": row.cases,
                     **_figure_json(next(f for f in row.figures if f.code == r.metric.code))}
                    for row in r.insufficient
                ],
            }
        sections.append({
            "code": s.code, "label": str(s.label), "cases": s.cases,
            "totals": [_figure_json(f) for f in s.totals],
            "open_states": [{"state": str(state), "label": str(label), "count": count} for state, label, count, _link in s.open_states],
            "departments": [
                {"department": _dept_json(row.department), "cases": row.cases, "figures": [_figure_json(f) for f in row.figures]}
                for row in s.departments
            ],
            "ranking": ranking,
        })
    return sections


def freeze_notices(notices) -> dict | None:
    """The supervision notices' figures (督办单) as plain JSON."""
    if notices is None:
        return None

    def row(r):
        return {"received": r.received, "cases": r.cases, "on_time": r.on_time, "late": r.late, "overdue": r.overdue,
                "due": r.due, "rate": r.rate.value, "display": r.rate.display}

    return {
        "totals": row(notices.totals),
        "departments": [{"department": _dept_json(r.department), **row(r)} for r in notices.departments],
    }


def breaches(*, first: dt.date, last: dt.date, scope: str) -> list[dict]:
    """The breach records (违诺记录: severely overdue steps) made in the period, of the scope's
    case types: one query for the records, one per case type for the cases' numbers and titles."""
    from django.contrib.contenttypes.models import ContentType

    from .documents import case_documents

    start, end = dashboard._start_of(first), dashboard._start_of(last + dt.timedelta(days=1))
    records = list(
        BreachRecord.objects.filter(created_at__gte=start, created_at__lt=end)
        .filter(case_type__app_label__in=[p.app for p in _scope_providers(scope)])
        .select_related("department", "case_type").order_by("department__code", "created_at", "pk")
    )
    cases = {}
    for ct_id in {r.case_type_id for r in records}:
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is not None:
            ids = {r.case_id for r in records if r.case_type_id == ct_id}
            cases.update({(ct_id, pk): obj for pk, obj in model._default_manager.in_bulk(ids).items()})
    rows = []
    for r in records:
        case = cases.get((r.case_type_id, r.case_id))
        info = case_documents(case) if case is not None else None
        rows.append({
            "department": r.department.name if r.department_id else str(_("（未指定单位）")), "department_id": r.department_id,
            "noun": str(info.noun) if info else str(_("案件")),
            "number": info.number(case) if info else str(r.case_id),
            "title": info.title(case) if info else "",
            "step": r.step, "deadline": timezone.localtime(r.deadline).date().isoformat(),
            "late": r.working_days_late, "recorded": timezone.localtime(r.created_at).date().isoformat(),
        })
    return rows


# --- issuing -------------------------------------------------------------------------------------
def _check(kind: str, day: dt.date, start, end, scope: str, rank_by: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if kind not in Report.Period.values:
        raise ValidationError({"period": _("请选择统计周期。")})
    if scope and scope not in {p.code for p in registry.metric_providers()}:
        raise ValidationError({"scope": _("未知的案件类型。")})
    if rank_by and rank_by not in {m.code for p in _scope_providers(scope) for m in p.metrics}:
        raise ValidationError({"rank_by": _("所选范围内没有该排名指标。")})
    if kind == Report.Period.CUSTOM:
        if not start or not end:
            raise ValidationError(_("自定义时段请填写开始和结束日期。"))
        if end < start:
            raise ValidationError(_("结束日期不能早于开始日期。"))
        if (end - start).days > dashboard.MAX_RANGE_DAYS:
            raise ValidationError(_("自定义时段最长三年。"))
    first, last, _granularity = dashboard.period_bounds(kind, day, start, end)
    if last >= today:
        # A report is about a finished period: one issued mid-period would hold the period's
        # place (one report per period) with half its figures, and the monthly task would find it.
        raise ValidationError(_("统计期至%(day)s尚未结束，只能为已结束的时段发布通报。") % {"day": last.isoformat()})
    return first, last


def report_existing(*, kind: str, first: dt.date, last: dt.date, scope: str, rank_by: str = "") -> Report | None:
    return Report.objects.filter(period_kind=kind, first_day=first, last_day=last, scope=scope, rank_by=rank_by).first()


def _exists_error(existing: Report) -> ValidationError:
    if existing.is_published:
        return ValidationError(_("该时段的通报已发布：%(number)s。") % {"number": existing.doc_number or existing.title})
    return ValidationError(_("该时段、范围和排名依据的通报已有草稿（%(status)s）：%(title)s。") % {
        "status": existing.get_status_display(), "title": existing.title})


def _compute(*, kind, day, start, end, scope, rank_by, now, first, last) -> tuple[dict, str]:
    """The frozen figures and the title of a period (computed for _reader, in the site's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        board = dashboard.dashboard_build(user=_reader(), kind=kind, day=day, start=start, end=end,
                                          case_type=scope, rank_by=rank_by, now=now)
        figures = {
            "first": first.isoformat(), "last": last.isoformat(), "minimum": board.minimum, "as_of": now.isoformat(),
            "sections": freeze(board), "notices": freeze_notices(board.notices),
            "breaches": breaches(first=first, last=last, scope=scope),
            # frozen with the figures: the wording of an issued 通报 never follows a later rule change
            "severe_days": _severe_days(),
        }
        title = report_title(kind, first, last, scope)
    return figures, title


def _render(report: Report, actor) -> None:
    """The report's PDF as it stands (a draft: marked 草稿 / 送审稿; published: the issued document)."""
    from .documents import document_render

    with translation.override(settings.LANGUAGE_CODE):
        document_render(actor=actor, case=report, kind=REPORT_KIND)


def _audit(report: Report, actor, from_state: str, event: str) -> None:
    from .audit import audit_case_status

    audit_case_status(case=report, actor=actor, from_state=from_state, to_state=report.status, event_type=event)


def _notify(kind: str, report: Report, users, **params) -> None:
    from .services import notify_on_commit

    notify_on_commit(users=list(users), kind=kind, params={"report": report.pk, "title": report.title, **params})


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update(of=("self",)).select_related("issuing_department").get(pk=report.pk)


def report_draft(*, actor, kind: str, day: dt.date | None = None, start: dt.date | None = None, end: dt.date | None = None,
                 scope: str = ALL_SCOPE, rank_by: str = "", now: dt.datetime | None = None) -> Report:
    """Draft the 通报 of a period and scope: figures frozen, not numbered, a draft PDF (草稿).

    `actor` None is the system (the beat tasks). One report per period, scope and ranking
    figure: drafting it again is a ValidationError for a person and returns the existing
    report for the system (safe to run twice)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if actor is not None and not report_can_issue(user=actor, scope=scope):
        raise PermissionDenied(_("只有能查看全部单位统计数据的督查人员、提案委和热线派单中心可以起草通报。"))
    first, last = _check(kind, day or today, start, end, scope, rank_by, today)
    existing = report_existing(kind=kind, first=first, last=last, scope=scope, rank_by=rank_by)
    if existing is not None:
        if actor is None:
            return existing
        raise _exists_error(existing)
    figures, title = _compute(kind=kind, day=day or today, start=start, end=end, scope=scope, rank_by=rank_by, now=now, first=first, last=last)
    department = report_issuer(actor)
    issuer = department.name if department else str(getattr(settings, "SUPERVISION_NOTICE_ISSUER", "") or _("督查室"))
    try:
        with transaction.atomic():
            report = Report.objects.create(
                period_kind=kind, first_day=first, last_day=last, scope=scope, rank_by=rank_by, title=title,
                status=Report.Status.DRAFT, issuing_department=department, issuer_name=issuer,
                drafted_by=actor, drafted_at=now, figures=figures,
            )
            _audit(report, actor, "", "report_drafted")
    except IntegrityError:  # drafted meanwhile by another request or worker
        existing = report_existing(kind=kind, first=first, last=last, scope=scope, rank_by=rank_by)
        if existing is None:
            raise
        if actor is None:
            return existing
        raise _exists_error(existing) from None
    _render(report, actor)
    return report


def _period_params(report: Report) -> dict:
    custom = report.period_kind == Report.Period.CUSTOM
    return {"kind": report.period_kind, "day": report.first_day, "start": report.first_day if custom else None,
            "end": report.last_day if custom else None, "scope": report.scope, "rank_by": report.rank_by}


def report_revise(*, actor, report: Report, kind: str, day: dt.date | None = None, start: dt.date | None = None,
                  end: dt.date | None = None, scope: str = ALL_SCOPE, rank_by: str = "", now: dt.datetime | None = None) -> Report:
    """修改草稿: a draft or a returned report gets another period, scope or ranking figure, and its
    figures are computed again (the drafters of both scopes only)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if not (report_can_edit(user=actor, report=report) and report_can_issue(user=actor, scope=scope)):
        raise PermissionDenied(_("只有起草部门（能查看全部单位统计数据的人员）可以修改通报草稿。"))
    if not report.is_editable:
        raise ValidationError(_("只有草稿或被退回的通报可以修改，该通报%(status)s。") % {"status": report.get_status_display()})
    first, last = _check(kind, day or today, start, end, scope, rank_by, today)
    figures, title = _compute(kind=kind, day=day or today, start=start, end=end, scope=scope, rank_by=rank_by, now=now, first=first, last=last)
    try:
        with transaction.atomic():
            report = _locked(report)
            if not (report_can_edit(user=actor, report=report) and report_can_issue(user=actor, scope=scope)):
                raise PermissionDenied(_("只有起草部门（能查看全部单位统计数据的人员）可以修改通报草稿。"))
            if not report.is_editable:
                raise ValidationError(_("只有草稿或被退回的通报可以修改，该通报%(status)s。") % {"status": report.get_status_display()})
            other = Report.objects.filter(period_kind=kind, first_day=first, last_day=last, scope=scope, rank_by=rank_by).exclude(pk=report.pk).first()
            if other is not None:
                raise _exists_error(other)
            before = report.status
            report.period_kind, report.first_day, report.last_day, report.scope, report.rank_by = kind, first, last, scope, rank_by
            report.title, report.figures = title, figures
            report.save(update_fields=["period_kind", "first_day", "last_day", "scope", "rank_by", "title", "figures"])
            _audit(report, actor, before, "report_revised")
    except IntegrityError:
        raise ValidationError(_("该时段、范围和排名依据的通报已存在。")) from None
    _render(report, actor)
    return report


def report_regenerate(*, actor, report: Report, now: dt.datetime | None = None) -> Report:
    """重新生成数据: the same period, scope and ranking figure, the figures computed again now."""
    return report_revise(actor=actor, report=report, now=now, **_period_params(report))


def _submit(report: Report, actor, now: dt.datetime) -> Report:
    before = report.status
    report.status, report.submitted_by, report.submitted_at = Report.Status.SUBMITTED, actor, now
    report.save(update_fields=["status", "submitted_by", "submitted_at"])
    _audit(report, actor, before, "report_submitted")
    _notify("report_submitted", report, report_approvers(report).exclude(pk=getattr(actor, "pk", None)))
    return report


@transaction.atomic
def report_submit(*, actor, report: Report) -> Report:
    """送审: a draft (or a returned report) goes to the approvers (the scope's drafters only)."""
    report = _locked(report)
    if not report_can_edit(user=actor, report=report):
        raise PermissionDenied(_("只有起草部门（能查看全部单位统计数据的人员）可以送审通报。"))
    if not report.is_editable:
        raise ValidationError(_("只有草稿或被退回的通报可以送审，该通报%(status)s。") % {"status": report.get_status_display()})
    return _submit(report, actor, timezone.now())


def _drafters(report: Report):
    """Whom a return is addressed to: the drafter, else the submitter, else the supervision office's supervisors."""
    from .models import User
    from .roles import EngineRole

    person = report.drafted_by_id or report.submitted_by_id
    if person:
        return User.objects.filter(pk=person, is_active=True)
    return User.objects.filter(
        memberships__department__kind=Department.Kind.SUPERVISION_OFFICE, memberships__role=EngineRole.SUPERVISOR,
        memberships__is_active=True, is_active=True,
    ).distinct()


def _approvable(report: Report, actor) -> None:
    if not report_can_approve(user=actor, report=report):
        raise PermissionDenied(_("只有发文单位的单位领导可以审批通报。"))
    if report.status != Report.Status.SUBMITTED:
        raise ValidationError(_("该通报不在待审批状态（%(status)s）。") % {"status": report.get_status_display()})


REASON_MAX = 2000


@transaction.atomic
def report_return(*, actor, report: Report, reason: str) -> Report:
    """退回修改: the approver sends a submitted report back to its drafter with a reason."""
    report = _locked(report)
    _approvable(report, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回理由。")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("退回理由不能超过%(n)d字。") % {"n": REASON_MAX}})
    before = report.status
    report.status, report.returned_by, report.returned_at, report.return_reason = Report.Status.RETURNED, actor, timezone.now(), reason
    report.save(update_fields=["status", "returned_by", "returned_at", "return_reason"])
    _audit(report, actor, before, "report_returned")
    _notify("report_returned", report, _drafters(report), text=reason[:200])
    return report


def _departments_in(report: Report) -> set[int]:
    """The departments a report names: its per-department figures, notices and breach records."""
    data = report.figures or {}
    ids = {row["department"]["id"] for s in data.get("sections", []) for row in s.get("departments", [])}
    ids |= {row["department"]["id"] for row in (data.get("notices") or {}).get("departments", [])}
    ids |= {b["department_id"] for b in data.get("breaches", []) if b.get("department_id")}
    return ids


def _publish(report: Report, actor, now: dt.datetime) -> Report:
    """Number the report in its issuing department's series, mark it published and tell the
    departments it names (their handlers and leaders) and its drafter."""
    from .models import User
    from .roles import EngineRole

    number = ""
    department = report.issuing_department
    if department is not None:
        from .services import document_number_issue

        number = document_number_issue(
            department=department, year=timezone.localtime(now).year, series=REPORT_SERIES,
            is_used=lambda n: Report.objects.filter(issuing_department=department, doc_number=n).exists(),
        )
    before = report.status
    report.status, report.doc_number, report.issued_by, report.issued_at = Report.Status.PUBLISHED, number, actor, now
    report.save(update_fields=["status", "doc_number", "issued_by", "issued_at"])
    _audit(report, actor, before, "report_published")
    readers = User.objects.filter(
        memberships__department_id__in=sorted(_departments_in(report)), memberships__is_active=True, is_active=True,
        memberships__role__in=[EngineRole.HANDLER, EngineRole.DEPT_LEADER],
    ).distinct()
    people = {u.pk for u in readers} | {p for p in (report.drafted_by_id, report.submitted_by_id) if p}
    people.discard(getattr(actor, "pk", None))
    _notify("report_published", report, sorted(people), number=number)
    return report


def report_approve(*, actor, report: Report) -> Report:
    """审批发布: the approver (not the drafter or submitter) publishes a submitted report: its
    发文字号 is drawn now, and the issued PDF rendered."""
    with transaction.atomic():
        report = _locked(report)
        _approvable(report, actor)
        if report_is_own(user=actor, report=report):
            raise PermissionDenied(_("不能审批自己起草或送审的通报。"))
        report = _publish(report, actor, timezone.now())
    _render(report, actor)
    return report


def report_issue_last_month(*, today: dt.date | None = None) -> Report:
    """The monthly beat's work: last month's report of every case type, drafted by the system
    and submitted at once to the approvers (notified). Safe to run twice."""
    today = today or timezone.localdate()
    report = report_draft(actor=None, kind=Report.Period.MONTH, day=last_month(today))
    if report.status == Report.Status.DRAFT and report.drafted_by_id is None:
        with transaction.atomic():
            locked = _locked(report)
            if locked.status == Report.Status.DRAFT:
                report = _submit(locked, None, timezone.now())
        _render(report, None)
    return report


DAILY_AUTO_CODE = "report_daily_auto_publish"


def daily_auto_ensure() -> int:
    """The daily ranking's rule row (rules as data), when missing: 1 when created, else 0."""
    from .models import RuleSetting

    _row, created = RuleSetting.objects.get_or_create(
        code=DAILY_AUTO_CODE,
        defaults={"name": "日排名自动发布", "value": 1, "note": "1：每日排名（一天一排名）由系统直接发布；0：与月度通报一样送审，经领导审批后发布"},
    )
    return int(created)


def daily_auto_publish() -> bool:
    from .models import RuleSetting

    value = RuleSetting.objects.filter(code=DAILY_AUTO_CODE).values_list("value", flat=True).first()
    return True if value is None else bool(value)


def report_daily(*, today: dt.date | None = None) -> Report | None:
    """The daily beat's work (一天一排名): on a working day, the previous working day's ranking
    of every case type, drafted by the system and then published at once (rule
    report_daily_auto_publish = 1, the default) or submitted for approval (0). Nothing on a
    day off; safe to run twice (one report per day)."""
    import logging

    from . import workdays

    today = today or timezone.localdate()
    try:
        if not workdays.is_working_day(today):
            return None
        previous = workdays.add_working_days(today, -1)
    except workdays.CalendarYearMissing as exc:
        logging.getLogger(__name__).warning("daily ranking skipped: the calendar of %s is not imported", exc.year)
        return None
    report = report_draft(actor=None, kind=Report.Period.DAY, day=previous)
    if report.status != Report.Status.DRAFT or report.drafted_by_id is not None:
        return report  # done before (or a person's draft of that day: theirs to submit)
    with transaction.atomic():
        locked = _locked(report)
        if locked.status != Report.Status.DRAFT:
            return locked
        report = _publish(locked, None, timezone.now()) if daily_auto_publish() else _submit(locked, None, timezone.now())
    _render(report, None)
    return report


# --- the chart: a bar chart as inline SVG (WeasyPrint draws it; no script in a PDF) --------------------------
def bar_chart_svg(bars: list[dict], *, unit: str, font_family: str, percent: bool, width: float = 440.0) -> str:
    """A horizontal bar chart, one bar per department, as an SVG string.

    `bars`: [{"label": str, "value": float | None, "muted": bool}] top to bottom; a muted
    bar (a department with too few cases to be ranked) is grey. Lengths are in points
    (the viewBox matches the 156 mm text block: 440 pt); the scale runs from 0 to 100
    for a rate, else to a round number above the largest value. Everything is escaped:
    department names come from the database."""
    label_w, value_w, row_h, bar_h, top, bottom = 112.0, 46.0, 20.0, 12.0, 16.0, 6.0
    plot_x, plot_w = label_w, width - label_w - value_w
    values = [b["value"] for b in bars if b["value"] is not None]
    scale_max = 100.0 if percent else _nice_ceiling(max(values, default=0.0))
    height = top + row_h * max(len(bars), 1) + bottom
    font = escape(font_family, quote=True)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}pt" height="{height}pt" '
        f'viewBox="0 0 {width} {height}" font-family="{font}" font-size="9">'
    ]
    # the scale: five grid lines with their values above the plot
    for i in range(5):
        x = plot_x + plot_w * i / 4
        tick = scale_max * i / 4
        out.append(f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{height - bottom}" stroke="#bbbbbb" stroke-width="0.5"/>')
        out.append(f'<text x="{x:.1f}" y="{top - 5}" text-anchor="middle" fill="#555555">{tick:g}{escape(unit) if percent else ""}</text>')
    for i, bar in enumerate(bars):
        y = top + row_h * i
        mid = y + row_h / 2 + 3  # the text's baseline, about centred on the bar
        out.append(f'<text x="{label_w - 6}" y="{mid:.1f}" text-anchor="end" fill="#000000">{escape(bar["label"])}</text>')
        value = bar["value"]
        if value is None:
            out.append(f'<text x="{plot_x + 3}" y="{mid:.1f}" fill="#555555">—</text>')
            continue
        length = plot_w * min(max(value, 0.0), scale_max) / scale_max if scale_max else 0.0
        colour = "#9e9e9e" if bar.get("muted") else "#c0392b"
        out.append(f'<rect x="{plot_x:.1f}" y="{y + (row_h - bar_h) / 2:.1f}" width="{max(length, 0.6):.1f}" height="{bar_h}" fill="{colour}"/>')
        shown = f"{value:.1f}{unit if percent else ''}"
        out.append(f'<text x="{plot_x + length + 3:.1f}" y="{mid:.1f}" fill="#000000">{escape(shown)}</text>')
    # the axis along the plot's left edge
    out.append(f'<line x1="{plot_x}" y1="{top - 2}" x2="{plot_x}" y2="{height - bottom}" stroke="#000000" stroke-width="0.75"/>')
    out.append("</svg>")
    return "".join(out)


def _nice_ceiling(value: float) -> float:
    """1, 2, 5 or 10 times a power of ten, at least `value` (a scale for averages)."""
    if value <= 0:
        return 1.0
    power = 10 ** len(str(int(value)))  # 7.3 -> 10, 42 -> 100
    for step in (0.1, 0.2, 0.5, 1.0):
        if value <= power * step:
            return power * step
    return float(power)


# --- the document ---------------------------------------------------------------------------------
def _figure_words(f: dict) -> str:
    if f["value"] is None:
        return _("%(label)s暂无数据") % {"label": f["label"]}
    unit = "%" if f["kind"] == "rate" else str(f["unit"])
    return _("%(label)s%(value).1f%(unit)s（依据%(den)d件）") % {"label": f["label"], "value": f["value"], "unit": unit, "den": f["den"]}


def _severe_days() -> str:
    """How many working days past the deadline count as severely overdue (the rules table,
    per case kind: "5", or "5或10" when the kinds differ)."""
    from .supervision import Rules

    rules = Rules()
    days = sorted({rules.severe_wd(spec.case_kind) for spec in registry.supervision_specs()})
    return _("或").join(str(d) for d in days) or str(settings.SUPERVISION_DEFAULT_SEVERE_WD)


def report_context(report: Report) -> dict:
    """The 通报's letter, from the frozen figures only."""
    from . import fonts

    data = report.figures or {}
    families = fonts.css_families()
    period = period_text(report.period_kind, report.first_day, report.last_day)
    sections, charts = [], 0
    numerals = "一二三四五六七八九十"
    intro = [_("现将%(period)s各承办单位%(noun)s办理情况通报如下。") % {"period": period, "noun": scope_noun(report.scope)}]
    for index, s in enumerate(data.get("sections", [])):
        words = "，".join(_figure_words(f) for f in s["totals"] if f["den"])
        open_states = {o["state"]: o["count"] for o in s["open_states"]}
        late = open_states.get("overdue", 0) + open_states.get("severely_overdue", 0)
        summary = _("%(period)s，共有%(label)s%(cases)d件进入办理。") % {"period": period, "label": s["label"], "cases": s["cases"]}
        summary += (words + "。") if words else _("本期尚无可统计的指标。")
        summary += _("截至%(day)s，在办任务中已逾期%(late)d件，其中严重逾期%(severe)d件。") % {
            "day": chinese_date(timezone.localtime(dt.datetime.fromisoformat(data["as_of"])).date()) if data.get("as_of") else "",
            "late": late, "severe": open_states.get("severely_overdue", 0),
        }
        ranking = s.get("ranking")
        chart, rows, metric = "", [], None
        if ranking:
            metric = ranking["metric"]
            entries = [(e, False) for e in ranking["ranked"]] + [(e, True) for e in ranking["insufficient"]]
            percent = metric["kind"] == "rate"
            bars = [{"label": e["department"]["short_name"][:10], "value": e["value"], "muted": muted} for e, muted in entries if e["value"] is not None]
            if bars:
                charts += 1
                chart = bar_chart_svg(bars, unit="%" if percent else "", font_family=families["fangsong"], percent=percent)
            rows = [
                {"rank": str(e["rank"]) if not muted else _("样本不足，不参与排名"), "name": e["department"]["name"], "cases": e["cases"],
                 "value": e["display"], "basis": f"{round(e['num'], 1):g}/{e['den']}" if e["den"] else "—", "muted": muted}
                for e, muted in entries
            ]
        sections.append({
            "heading": f"{numerals[index % 10]}、{s['label']}办理情况", "summary": typeset_text(summary), "chart": chart, "rows": rows,
            "metric": metric, "minimum": ranking["minimum"] if ranking else data.get("minimum"),
            "chart_note": _("图%(n)d  各单位%(metric)s") % {"n": charts, "metric": metric["label"]} if chart else "",
        })
    notices = data.get("notices") or None
    notice_section = None
    if notices is not None:
        t = notices["totals"]
        if t["received"]:
            words = _("%(period)s共下发督办单%(n)d件，涉及案件%(cases)d件；期限内答复%(on_time)d件，逾期答复%(late)d件，逾期未答复%(overdue)d件，按期答复率%(rate)s（依据%(due)d件）。") % {
                "period": period, "n": t["received"], "cases": t["cases"], "on_time": t["on_time"], "late": t["late"],
                "overdue": t["overdue"], "rate": t["display"], "due": t["due"]}
        else:
            words = _("%(period)s未下发督办单。") % {"period": period}
        notice_section = {
            "heading": f"{numerals[len(sections) % 10]}、" + _("督办单办理情况"), "summary": typeset_text(words),
            "rows": [{"name": r["department"]["name"], **r} for r in notices["departments"]],
        }
    breach_rows = data.get("breaches", [])
    reprimand_heading = f"{numerals[(len(sections) + (notice_section is not None)) % 10]}、" + _("通报批评")
    if breach_rows:
        reprimand = _("%(period)s，以下%(n)d项办理环节逾期超过规定时限%(days)s个工作日以上，已记入违诺记录，予以通报批评：") % {
            "period": period, "n": len(breach_rows), "days": data.get("severe_days") or _severe_days()}
    else:
        reprimand = _("%(period)s无严重逾期（违诺）记录。") % {"period": period}
    closing = _("请各承办单位对照本通报，认真查找问题，对逾期事项限期办结，切实提高办理质量和效率。")
    department = report.issuing_department
    published = report.is_published
    # A draft is not an issued document: no number, no seal, marked 草稿 (送审稿 once submitted).
    mark = "" if published else (_("送审稿") if report.status == Report.Status.SUBMITTED else _("草稿"))
    return {
        "title": report.title,
        "draft_mark": mark,
        "notice_section": notice_section,
        "issuer": report.issuer_name,
        "issuer_size_pt": issuer_size_pt(report.issuer_name),
        "doc_number": report.doc_number if published else "",
        "class_mark": "",
        "salutation": _("各承办单位："),
        "intro": [typeset_text(p) for p in intro],
        "sections": sections,
        "reprimand_heading": reprimand_heading,
        "reprimand": typeset_text(reprimand),
        "breaches": breach_rows,
        "closing": closing,
        "signer": report.issuer_name,
        "date": chinese_date(report.issued_at if published and report.issued_at else report.drafted_at),
        "seal_url": seal_url(department) if department and published else "",
        "fonts": families,
    }


def report_filename(report: Report) -> str:
    if not report.is_published:
        return f"通报-{report.pk}-{_('送审稿') if report.status == Report.Status.SUBMITTED else _('草稿')}"
    return f"通报-{report.doc_number or report.pk}"


def register_report_documents() -> None:
    """The number series "report" and the document kind "report" (called from workflow.documents)."""
    registry.register_document_series(REPORT_SERIES, "通报", "{prefix}通报〔{year}〕{number}号")
    registry.register_document_kind(registry.DocumentKind(
        code=REPORT_KIND, label=gettext_lazy("通报（PDF）"), model="workflow.Report", template="documents/report.html",
        context=report_context, can_download=lambda user, report: report_visible(user=user, report=report),
        version=lambda r: (f"report:{r.pk}:{r.status}", r.issued_at or r.drafted_at), filename=report_filename,
        load=lambda pk: Report.objects.select_related("issuing_department").get(pk=pk), app="workflow", order=210,
    ))


def register_report_navigation(roles) -> None:
    """The 通报 page's entry (under 更多), for the dashboard's roles."""
    registry.register_navigation(registry.NavEntry(
        "supervision-reports", gettext_lazy("通报"), frozenset(roles),
        gettext_lazy("按日、月、季度、年发布的办理情况通报（含排名和通报批评），可下载PDF"), order=26, primary=False,
    ))
