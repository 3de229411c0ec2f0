"""Proposal figures for the supervision dashboard (workflow.dashboard).

A proposal is counted for each department it was assigned to (交办: single,
lead, co-handler or separate handler; an assignment moved elsewhere on
request is not), in the period of its assignment date, among the proposals
the user may see (proposals.selectors: a supervisor sees the key proposals and
those their unit supervises). One aggregate query per kind of figure, grouped
by department and day/month:

* 按时签收率: sign-for tasks finished by their deadline / those finished, or
  open past the deadline;
* 按时答复率: assignments answered (a reply that passed review; a co-handler's
  opinion sent) by their deadline (an approved extension moves it) / those
  answered, or not answered past the deadline;
* 满意率: the members' ratings of the result that are not 不满意 / ratings,
  counted for every answering department of the proposal;
* 重办率: assignments of proposals handled more than once / assignments;
* 平均办理时长: working days from assignment to the first answer.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Exists, F, Min, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow import dashboard, registry
from workflow.daily_figures import DailySpec, daily_dims
from workflow.dashboard import MetricDef, ProviderFigures
from workflow.rules import negative_codes
from workflow.selectors import user_membership_pairs, user_roles

from .models import Assignment, Category, Evaluation, Proposal, ProposalTask, Reply
from .roles import Role

RATING_SCALE = "proposal_rating"
ANSWERING = (Assignment.Role.SINGLE, Assignment.Role.LEAD, Assignment.Role.SEPARATE)

METRICS = [
    MetricDef("sign_on_time", _("按时签收率"), help=_("按期签收的交办数 / 已签收或已超签收期限的交办数")),
    MetricDef("reply_on_time", _("按时答复率"), help=_("按期答复（会办单位：送会办意见）的交办数 / 已答复或已超期限的交办数")),
    MetricDef("satisfied", _("满意率"), help=_("委员对办理结果评价为满意或基本满意的次数 / 评价次数")),
    MetricDef("rehandled", _("重办率"), higher_is_better=False, help=_("重办过的交办数 / 交办数")),
    MetricDef("handling_days", _("平均办理时长"), kind="avg", higher_is_better=False, unit=_("工作日"),
              help=_("交办至首次答复（会办意见）的工作日数")),
]


def access(user):
    """The proposal office and supervisors: every department (supervisors: the proposals they
    supervise); a department's handlers and leaders: their own."""
    roles = user_roles(user=user)
    if Role.PROPOSAL_OFFICE in roles or Role.SUPERVISOR in roles:
        return dashboard.ALL
    return {d for r, d in user_membership_pairs(user=user) if r in (Role.HANDLER, Role.DEPT_LEADER)} or None


def filter_choices() -> dict:
    return {"category": list(Category.objects.filter(is_active=True).order_by("ordering", "pk").values_list("pk", "name"))}


def _proposals(query):
    """The proposals whose figures the query's user may see (proposals.selectors); the daily
    fill (no user): every proposal but drafts, stored with its scope (key, supervising unit)."""
    from .selectors import proposal_queryset

    if query.user is None:
        return Proposal.objects.exclude(status=Proposal.Status.DRAFT)
    return proposal_queryset(user=query.user)


def _in_scope_q(query) -> Q:
    """The rows (with a proposal_id) of the user's proposals, the proposal id wrapped (`+ 0`)
    so that the database starts from the rows' own index (a few live days, the open tasks),
    not from every proposal in scope and all of their rows."""
    from django.db.models import IntegerField, Value
    from django.db.models.expressions import CombinedExpression
    from django.db.models.lookups import In

    return Q(In(CombinedExpression(F("proposal_id"), "+", Value(0), output_field=IntegerField()), _proposals(query).order_by().values("pk")))


def _in_scope(qs, query):
    """qs (with a proposal_id) limited to the user's proposals. When the period is a few live
    days (query.ranges: the days the daily figures do not cover), from the days (_in_scope_q)."""
    if query.ranges is None:
        return qs.filter(proposal_id__in=_proposals(query).order_by().values("pk"))
    return qs.filter(_in_scope_q(query))


def _assignments(query):
    qs = _in_scope(Assignment.objects.exclude(status=Assignment.Status.REASSIGNED_AWAY).filter(
        query.period_q("assigned_at"), query.department_q("department_id"),
    ), query)
    if query.category:
        qs = qs.filter(proposal__category_id=query.category)
    return qs


def _sign_tasks(query):
    """Sign-for tasks created in the period for a department the proposal is (still) assigned to,
    counted on the day they were created."""
    from .flows import ProposalFlow

    assigned = Assignment.objects.exclude(status=Assignment.Status.REASSIGNED_AWAY).filter(
        proposal=OuterRef("proposal_id"), department=OuterRef("department_id"))
    qs = _in_scope(ProposalTask.objects.filter(
        query.period_q("created"), query.department_q("department_id"), Exists(assigned), flow_task=ProposalFlow.sign,
    ), query)
    if query.category:
        qs = qs.filter(proposal__category_id=query.category)
    return qs


def _ratio_specs(query) -> list[tuple]:
    """(queryset, department field, bucket field, measures, count) of the ratio figures."""
    now = query.now
    base = _assignments(query)
    co = Q(role=Assignment.Role.CO)
    answered = Reply.objects.filter(assignment=OuterRef("pk"), status=Reply.Status.PASSED, replied_at__isnull=False)
    bad = sorted(negative_codes(RATING_SCALE))
    return [
        (base, "department_id", "assigned_at", {
            "cases": (Q(), Q()),
            "reply_on_time": (
                (co & Q(opinion_sent_at__lte=F("deadline"))) | (~co & Q(Exists(answered.filter(round=1, replied_at__lte=OuterRef("deadline"))))),
                (co & Q(opinion_sent_at__isnull=False)) | (~co & Q(Exists(answered))) | Q(deadline__lt=now),
            ),
            "rehandled": (Q(proposal__handling_round__gt=1), Q()),
        }, "pk"),
        (base.filter(role__in=ANSWERING), "department_id", "assigned_at", {
            "satisfied": (~Q(proposal__evaluations__result_rating__in=bad), Q(proposal__evaluations__isnull=False)),
        }, "proposal__evaluations"),
        (_sign_tasks(query), "department_id", "created", {
            "sign_on_time": (Q(finished__lte=F("deadline")), Q(deadline__isnull=False) & (Q(finished__isnull=False) | Q(deadline__lt=now))),
        }, "pk"),
    ]


def _handling_items(query, *extra):
    return (_assignments(query).order_by().annotate(
        first=Coalesce("opinion_sent_at", Min("replies__replied_at", filter=Q(replies__status=Reply.Status.PASSED))),
    ).filter(first__isnull=False).values_list("department_id", "assigned_at", "first", *extra))


def compute(query) -> ProviderFigures:
    rows = []
    for qs, dept, bucket, measures, count in _ratio_specs(query):
        rows += dashboard.ratio_rows(qs, dept=dept, bucket=bucket, query=query, measures=measures, count=count)
    rows += dashboard.average_rows(
        ((dept, start, end, 0) for dept, start, end in _handling_items(query)), query=query, code="handling_days",
    )
    # From the open tasks' partial index (a few thousand rows), each checked against the scope.
    open_q = _in_scope_q(query)
    if query.category:
        open_q &= Q(proposal__category_id=query.category)
    open_states = dashboard.open_task_states(ProposalTask, query=query, case_q=open_q)

    list_url = reverse("proposals:list")  # once, not per figure

    def link(code: str, dept):
        params = {}
        if dept:
            params["department"] = dept
        if query.category:
            params["category"] = query.category
        if code in (f"open:{dashboard.SupervisionState.OVERDUE}", f"open:{dashboard.SupervisionState.SEVERELY_OVERDUE}"):
            params["overdue"] = "on"
        return f"{list_url}?{urlencode(params)}"

    return ProviderFigures(
        metrics=METRICS, rows=rows, open_states=open_states, link=link,
        link_note=_("提案列表尚不能按交办日期筛选：链接列出该单位（和类别）的全部提案。"),
    )


# --- the daily figures (workflow.daily_figures) ----------------------------------------------
# Stored per proposal category (the filter), key flag and supervising unit (a supervisor's scope).
def _dims(query, prefix: str) -> dict:
    return daily_dims(query, category=f"{prefix}category_id", flag=f"{prefix}is_key", unit=f"{prefix}supervising_unit_id")


def daily_grouped(query) -> list[tuple]:
    return [
        (dashboard.ratio_queryset(qs, dept=dept, bucket=bucket, query=query, measures=measures, count=count, dims=_dims(query, "proposal__")),
         list(measures))
        for qs, dept, bucket, measures, count in _ratio_specs(query)
    ]


def daily_python_rows(query) -> list[tuple]:
    """The average handling time per (assignment day, department, category, key, supervising
    unit), as dashboard.average_rows sums it."""
    items = list(_handling_items(query, "proposal__category_id", "proposal__is_key", "proposal__supervising_unit_id"))
    if not items:
        return []
    tz = timezone.get_current_timezone()
    days = dashboard.WorkingDays(min(i[1] for i in items).astimezone(tz).date(), max(i[2] for i in items).astimezone(tz).date())
    groups: dict[tuple, list] = {}
    for dept, start, end, category, is_key, unit in items:
        groups.setdefault((start.astimezone(tz).date(), str(category or ""), bool(is_key), unit), []).append((dept, start, end, 0))
    rows = []
    for (day, category, is_key, unit), group in groups.items():
        for dept, bucket, code, num, den in dashboard.average_rows(group, query=query, code="handling_days", days=days):
            rows.append((day, bucket, dept, category, "", "", code, num, den, is_key, unit))
    return rows


def daily_expiry(query) -> dict:
    """Per day, the earliest deadline at or after query.now: an assignment's (answered or not:
    a bound, never late) and an unfinished sign-for task's."""
    from django.db.models import DateField
    from django.db.models.functions import Trunc

    tz = timezone.get_current_timezone()
    result: dict = {}
    handling = (_assignments(query).filter(deadline__gte=query.now).order_by()
                .values(d=Trunc("assigned_at", "day", output_field=DateField(), tzinfo=tz)).annotate(m=Min("deadline")))
    signing = (_sign_tasks(query).filter(finished__isnull=True, deadline__gte=query.now).order_by()
               .values(d=Trunc("created", "day", output_field=DateField(), tzinfo=tz)).annotate(m=Min("deadline")))
    for r in [*handling, *signing]:
        if r["d"] not in result or r["m"] < result[r["d"]]:
            result[r["d"]] = r["m"]
    return result


def daily_changed_days(since) -> set:
    """The assignment days and sign-for task days of the proposals changed since `since`: the
    proposal, its assignments, replies or evaluations saved (their history rows), or a deadline
    recomputed set-wise (its event)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import DateField
    from django.db.models.functions import Trunc

    from workflow.models import CaseEvent
    from workflow.supervision import EVENT_RECOMPUTED

    from .flows import ProposalFlow

    tz = timezone.get_current_timezone()
    ids = set(Proposal.history.model.objects.filter(history_date__gte=since).order_by().values_list("id", flat=True))
    ids |= set(Assignment.history.model.objects.filter(history_date__gte=since).order_by().values_list("proposal_id", flat=True))
    ids |= set(Assignment.objects.filter(pk__in=Reply.history.model.objects.filter(history_date__gte=since).order_by().values("assignment_id"))
               .order_by().values_list("proposal_id", flat=True))
    ids |= set(Evaluation.history.model.objects.filter(history_date__gte=since).order_by().values_list("proposal_id", flat=True))
    ids |= set(CaseEvent.objects.filter(case_type=ContentType.objects.get_for_model(Proposal), created_at__gte=since,
                                        type=EVENT_RECOMPUTED).order_by().values_list("case_id", flat=True))
    ids = sorted(i for i in ids if i is not None)
    days: set = set()
    for i in range(0, len(ids), 5000):  # one query each unless the refresh has not run for long
        chunk = ids[i:i + 5000]
        days |= set(Assignment.objects.filter(proposal_id__in=chunk).order_by()
                    .annotate(d=Trunc("assigned_at", "day", output_field=DateField(), tzinfo=tz)).values_list("d", flat=True).distinct())
        days |= set(ProposalTask.objects.filter(proposal_id__in=chunk, flow_task=ProposalFlow.sign).order_by()
                    .annotate(d=Trunc("created", "day", output_field=DateField(), tzinfo=tz)).values_list("d", flat=True).distinct())
    return days


def daily_first_day():
    from .flows import ProposalFlow

    firsts = [
        Assignment.objects.order_by("assigned_at").values_list("assigned_at", flat=True).first(),
        ProposalTask.objects.filter(flow_task=ProposalFlow.sign).order_by("created").values_list("created", flat=True).first(),
    ]
    firsts = [f for f in firsts if f is not None]
    return timezone.localtime(min(firsts)).date() if firsts else None


def daily_scope(query):
    """The stored rows the user may see, or None when only the live computation can say it.
    proposals.selectors' branches: the office (and administrators) see every proposal but
    drafts: every row; supervisors (and nothing more) the key proposals and their units': the
    rows flagged key or of their units; a department's handlers and leaders (and nothing more)
    every proposal assigned to their departments, whose rows are already theirs alone. Members
    and leading officials (their own proposals, the ones they lead) and mixed roles: live."""
    user = query.user
    roles = user_roles(user=user)
    if user.is_superuser or Role.ADMIN in roles or Role.PROPOSAL_OFFICE in roles:
        return Q()
    if Role.MEMBER in roles or Role.KEY_LEADER in roles:
        return None
    pairs = user_membership_pairs(user=user)
    depts = {d for r, d in pairs if r in (Role.HANDLER, Role.DEPT_LEADER)}
    if Role.SUPERVISOR in roles:
        if depts:
            return None
        return Q(scope_flag=True) | Q(scope_unit__in=sorted({d for r, d in pairs if r == Role.SUPERVISOR}))
    if depts and query.departments is not None and set(query.departments) <= depts:
        return Q()
    return None


DAILY = DailySpec(grouped=daily_grouped, python_rows=daily_python_rows, expiry=daily_expiry,
                  changed_days=daily_changed_days, first_day=daily_first_day, scope=daily_scope)


def register() -> None:
    registry.register_metric_provider(registry.MetricProvider(
        code="proposal", label=_("政协提案"), access=access, compute=compute, filter_choices=filter_choices, metrics=tuple(METRICS), order=10, app="proposals",
        noun=_("提案"), daily=DAILY,
    ))
    dashboard.register_dashboard_navigation({Role.PROPOSAL_OFFICE})
