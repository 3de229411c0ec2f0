"""Supervision notices by hand (督办单, issue 9).

A supervisor of a case (or a key proposal's leading official) asks one of the
departments handling it for something to be done, with a deadline of their
own choosing (a working day after today); the department's handlers or
leaders sign for the notice (签收) and then answer it in writing (答复), once.
Issuing, signing and answering are events of the case's timeline.

The engine names no case app: each case type registers, with
`registry.register_notice_hooks`, who supervises one of its cases
(`may_issue(user, case)`) and which departments may be asked
(`departments(case)`).

Status is derived, never stored: issued → signed → responded; a notice not
answered by its deadline is overdue (`notice_status`).
"""
from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import registry, workdays
from .events import PRIVATE, EventType, event_record, register_events
from .models import SupervisionNotice, User
from .roles import EngineRole

EVENT_ISSUED, EVENT_SIGNED, EVENT_RESPONDED = "notice_issued", "notice_signed", "notice_responded"
REQUIREMENT_MAX, RESPONSE_MAX = 2000, 5000
ANSWERING_ROLES = (EngineRole.HANDLER, EngineRole.DEPT_LEADER)


class NoticeStatus:
    ISSUED, SIGNED, RESPONDED, OVERDUE = "issued", "signed", "responded", "overdue"
    LABELS = {
        ISSUED: gettext_lazy("待签收"), SIGNED: gettext_lazy("已签收待答复"),
        RESPONDED: gettext_lazy("已答复"), OVERDUE: gettext_lazy("逾期未答复"),
    }


def _describe_deadline(payload: dict, labels: dict) -> list[str]:
    return [_("答复期限%(d)s") % {"d": payload["deadline"]}] if payload.get("deadline") else []


def register_notice_events(case_model) -> None:
    """The notices' events, declared on a case model. The case's own people
    (e.g. a proposal's supervisors, who issue them) see that a notice was issued,
    signed and answered, to whom and by when; the texts stay with the working circle."""
    public = frozenset({"department", "deadline"})
    register_events(case_model, [
        EventType(EVENT_ISSUED, gettext_lazy("督办单下发"), shown_to=PRIVATE, public_payload=public, describe=_describe_deadline),
        EventType(EVENT_SIGNED, gettext_lazy("签收督办单"), shown_to=PRIVATE, public_payload=public),
        EventType(EVENT_RESPONDED, gettext_lazy("答复督办单"), shown_to=PRIVATE, public_payload=public),
    ])


def register_notice_navigation(extra_roles=()) -> None:
    """The list page under 更多, for those who answer notices, supervisors and the
    roles a case app adds (a key proposal's leading officials)."""
    from .registry import NavEntry

    existing = next((e for e in registry.navigation() if e.url_name == "supervision-notices"), None)
    roles = frozenset({EngineRole.HANDLER, EngineRole.DEPT_LEADER, EngineRole.SUPERVISOR}) | frozenset(str(r) for r in extra_roles)
    registry.register_navigation(NavEntry(
        "supervision-notices", gettext_lazy("督办单"), roles | (existing.roles if existing else frozenset()),
        gettext_lazy("督办人下发、本单位签收并书面答复的督办单"), order=22, primary=False,
    ))


# --- status -----------------------------------------------------------------------------------
def notice_status(notice: SupervisionNotice, *, now: dt.datetime | None = None) -> str:
    if notice.responded_at is not None:
        return NoticeStatus.RESPONDED
    if notice.deadline < (now or timezone.now()):
        return NoticeStatus.OVERDUE
    return NoticeStatus.SIGNED if notice.signed_at is not None else NoticeStatus.ISSUED


def status_q(status: str, *, now: dt.datetime) -> Q:
    """notice_status as a filter: the notices in `status` at `now` (the same rule)."""
    unanswered = Q(responded_at__isnull=True)
    return {
        NoticeStatus.RESPONDED: Q(responded_at__isnull=False),
        NoticeStatus.OVERDUE: unanswered & Q(deadline__lt=now),
        NoticeStatus.SIGNED: unanswered & Q(deadline__gte=now, signed_at__isnull=False),
        NoticeStatus.ISSUED: unanswered & Q(deadline__gte=now, signed_at__isnull=True),
    }[status]


def annotate_status(notices, *, now: dt.datetime | None = None) -> list[SupervisionNotice]:
    """Set `status`, `status_label` and `responded_late` on each notice (no query)."""
    now = now or timezone.now()
    notices = list(notices)
    for n in notices:
        n.status = notice_status(n, now=now)
        n.status_label = NoticeStatus.LABELS[n.status]
        n.responded_late = n.responded_at is not None and n.responded_at > n.deadline
    return notices


# --- who may do what ------------------------------------------------------------------------------
def can_issue(*, user: User, case) -> bool:
    hooks = registry.notice_hooks_for(case)
    return bool(hooks and user.is_authenticated and user.is_active and hooks.may_issue(user, case))


def can_answer(*, user: User, notice: SupervisionNotice) -> bool:
    """The department's handlers and leaders sign for and answer its notices."""
    from .selectors import user_membership_pairs

    return any((role, notice.department_id) in user_membership_pairs(user=user) for role in ANSWERING_ROLES)


def notices_for(*, user: User) -> models.QuerySet[SupervisionNotice]:
    """The notices the user answers for (their departments') or issued."""
    from .selectors import user_membership_pairs

    if not user.is_authenticated:
        return SupervisionNotice.objects.none()
    depts = {dept for role, dept in user_membership_pairs(user=user) if role in ANSWERING_ROLES}
    return (
        SupervisionNotice.objects.filter(Q(department_id__in=depts) | Q(issued_by=user))
        .select_related("department", "issued_by", "signed_by", "responded_by", "case_type")
        .order_by("-issued_at", "-pk")
    )


def notice_list(*, user: User, limit: int = 200, department: int | None = None, status: str = "") -> list[SupervisionNotice]:
    """notices_for, with the cases (one query per case type) and the derived status;
    unanswered notices first, by deadline. `department` and `status` (the dashboard's
    links) filter inside the reader's scope, before the limit."""
    qs = notices_for(user=user)
    if department is not None:
        qs = qs.filter(department_id=department)
    if status in NoticeStatus.LABELS:
        qs = qs.filter(status_q(status, now=timezone.now()))
    rows = list(qs.prefetch_related("case")[:limit])
    rows.sort(key=lambda n: (n.responded_at is not None, n.deadline, n.pk))
    return annotate_status(rows)


def notice_get(*, user: User, pk: int) -> SupervisionNotice:
    """One notice the user answers for or issued: 404 if none, 403 if someone else's."""
    from django.http import Http404

    from .web import MAX_INT

    if not 0 < pk <= MAX_INT:
        raise Http404
    notice = SupervisionNotice.objects.select_related("department", "issued_by", "case_type").filter(pk=pk).first()
    if notice is None:
        raise Http404
    if notice.issued_by_id != user.pk and not can_answer(user=user, notice=notice):
        raise PermissionDenied(_("只有督办人和被督办单位可以查看该督办单。"))
    return annotate_status([notice])[0]


def issue_url(*, user: User, case) -> str:
    """The link to the issuing form for this case, or "" when the user may not issue one."""
    hooks = registry.notice_hooks_for(case)
    if hooks is None or not can_issue(user=user, case=case):
        return ""
    return reverse("supervision-notice-new", args=[hooks.code, case.pk])


def case_for(*, code: str, pk: int):
    """The case of a registered type by its code and id, or None."""
    from .web import MAX_INT

    hooks = registry.notice_hooks(code)
    if hooks is None or not 0 < pk <= MAX_INT:
        return None
    if hooks.load is not None:
        return hooks.load(pk)
    return hooks.case_model._default_manager.filter(pk=pk).first()


def department_choices(case) -> list:
    hooks = registry.notice_hooks_for(case)
    return list(hooks.departments(case)) if hooks else []


# --- validation -----------------------------------------------------------------------------------
def deadline_check(day: dt.date, *, now: dt.datetime | None = None) -> dt.datetime:
    """The deadline (end of `day`), or a ValidationError keyed `deadline` in plain words."""
    today = timezone.localtime(now or timezone.now()).date()
    if day <= today:
        raise ValidationError({"deadline": _("答复期限须晚于今天（%(today)s）。") % {"today": today.isoformat()}})
    try:
        working = workdays.is_working_day(day)
    except workdays.CalendarYearMissing as exc:
        raise ValidationError({"deadline": _("%(year)s年的工作日历尚未导入，无法确认答复期限是否为工作日。") % {"year": exc.year}})
    if not working:
        raise ValidationError({"deadline": _("答复期限须为工作日，%(day)s不是工作日。") % {"day": day.isoformat()}})
    return workdays.end_of_day(day)


def _text(value: str, *, field: str, label: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if len(value) > limit:
        raise ValidationError({field: _("%(label)s不能超过%(n)d字（现有%(m)d字）。") % {"label": label, "n": limit, "m": len(value)}})
    return value


# --- notifications (one place: easy to turn into typed kinds) ---------------------------------------
def _notify(kind: str, notice: SupervisionNotice, users, **params) -> None:
    """A notice's notification: a kind of workflow.notifications (register_engine_kinds), rendered when read."""
    from .services import notify_on_commit

    notify_on_commit(users=list(users), kind=kind, params={
        "notice": notice.pk, "dept": str(notice.department),
        "date": timezone.localtime(notice.deadline).date().isoformat(), **params,
    })


def _answerers(department_id: int):
    return User.objects.filter(
        memberships__department_id=department_id, memberships__role__in=ANSWERING_ROLES,
        memberships__is_active=True, is_active=True,
    ).distinct()


def _payload(notice: SupervisionNotice, **extra) -> dict:
    return {
        "notice": notice.pk, "department": notice.department_id,
        "deadline": timezone.localtime(notice.deadline).date().isoformat(), **extra,
    }


# --- services ---------------------------------------------------------------------------------------
@transaction.atomic
def supervision_notice_issue(*, actor: User, case, department, requirement: str, deadline: dt.date) -> SupervisionNotice:
    """督办单下发: a supervisor of the case asks one of its departments for `requirement` by `deadline`."""
    hooks = registry.notice_hooks_for(case)
    if hooks is None:
        raise PermissionDenied(_("该类案件不能下发督办单。"))
    case = hooks.case_model._default_manager.select_for_update().get(pk=case.pk)
    if not can_issue(user=actor, case=case):
        raise PermissionDenied(_("只有该案件的督查人员或牵头领导可以下发督办单。"))
    allowed = {d.pk: d for d in hooks.departments(case)}
    if not allowed:
        raise ValidationError(_("该案件当前没有承办单位，不能下发督办单。"))
    dept_id = getattr(department, "pk", department)
    if dept_id not in allowed:
        raise ValidationError({"department": _("只能向正在办理该案件的单位下发督办单。")})
    requirement = _text(requirement, field="requirement", label=_("督办要求"), limit=REQUIREMENT_MAX)
    due = deadline_check(deadline)
    now = timezone.now()
    notice = SupervisionNotice.objects.create(
        case_type=ContentType.objects.get_for_model(case, for_concrete_model=True), case_id=case.pk,
        department=allowed[dept_id], issued_by=actor, issued_at=now, requirement=requirement, deadline=due,
    )
    event_record(case=case, type=EVENT_ISSUED, actor=actor, payload=_payload(notice, note=requirement), at=now)
    _notify("supervision_notice", notice, _answerers(dept_id), case=str(case), text=requirement[:200])
    return notice


def _locked(notice: SupervisionNotice, actor: User) -> SupervisionNotice:
    notice = SupervisionNotice.objects.select_for_update(of=("self",)).select_related("department", "issued_by").get(pk=notice.pk)
    if not can_answer(user=actor, notice=notice):
        raise PermissionDenied(_("只有被督办单位的承办人员或单位领导可以签收、答复督办单。"))
    return notice


def _at(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def supervision_notice_sign(*, actor: User, notice: SupervisionNotice) -> SupervisionNotice:
    """签收督办单: the department acknowledges the notice (once)."""
    notice = _locked(notice, actor)
    if notice.signed_at is not None:
        raise ValidationError(_("该督办单已于%(at)s签收。") % {"at": _at(notice.signed_at)})
    notice.signed_by, notice.signed_at = actor, timezone.now()
    notice.save(update_fields=["signed_by", "signed_at"])
    event_record(case=notice.case, type=EVENT_SIGNED, actor=actor, payload=_payload(notice), at=notice.signed_at)
    _notify("supervision_notice_signed", notice, [notice.issued_by])
    return notice


@transaction.atomic
def supervision_notice_respond(*, actor: User, notice: SupervisionNotice, response: str) -> SupervisionNotice:
    """答复督办单: the department's written answer (once, after signing for the notice)."""
    notice = _locked(notice, actor)
    if notice.responded_at is not None:
        raise ValidationError(_("该督办单已于%(at)s答复。") % {"at": _at(notice.responded_at)})
    if notice.signed_at is None:
        raise ValidationError(_("请先签收督办单，再答复。"))
    notice.response = _text(response, field="response", label=_("书面答复"), limit=RESPONSE_MAX)
    notice.responded_by, notice.responded_at = actor, timezone.now()
    notice.save(update_fields=["response", "responded_by", "responded_at"])
    event_record(case=notice.case, type=EVENT_RESPONDED, actor=actor, payload=_payload(notice, note=notice.response), at=notice.responded_at)
    _notify("supervision_notice_responded", notice, [notice.issued_by], text=notice.response[:200])
    return notice


__all__ = [
    "EVENT_ISSUED", "EVENT_RESPONDED", "EVENT_SIGNED", "NoticeStatus", "annotate_status", "can_answer",
    "can_issue", "case_for", "deadline_check", "department_choices", "issue_url", "notice_get", "notice_list",
    "notice_status", "notices_for", "register_notice_events", "supervision_notice_issue", "supervision_notice_respond",
    "supervision_notice_sign",
]
