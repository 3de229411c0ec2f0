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
from django.utils.translation import gettext_lazy as _

from workflow import dashboard, registry
from workflow.dashboard import MetricDef, ProviderFigures
from workflow.rules import negative_codes
from workflow.selectors import user_membership_pairs, user_roles

from .models import Assignment, Category, ProposalTask, Reply
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


def _assignments(query):
    from .selectors import proposal_queryset

    qs = Assignment.objects.exclude(status=Assignment.Status.REASSIGNED_AWAY).filter(
        query.period_q("assigned_at"), query.department_q("department_id"),
        proposal__in=proposal_queryset(user=query.user).order_by().values("pk"),
    )
    if query.category:
        qs = qs.filter(proposal__category_id=query.category)
    return qs


def compute(query) -> ProviderFigures:
    from .flows import ProposalFlow

    now = query.now
    base = _assignments(query)
    co = Q(role=Assignment.Role.CO)
    answered = Reply.objects.filter(assignment=OuterRef("pk"), status=Reply.Status.PASSED, replied_at__isnull=False)
    rows = dashboard.ratio_rows(base, dept="department_id", bucket="assigned_at", query=query, measures={
        "cases": (Q(), Q()),
        "reply_on_time": (
            (co & Q(opinion_sent_at__lte=F("deadline"))) | (~co & Q(Exists(answered.filter(round=1, replied_at__lte=OuterRef("deadline"))))),
            (co & Q(opinion_sent_at__isnull=False)) | (~co & Q(Exists(answered))) | Q(deadline__lt=now),
        ),
        "rehandled": (Q(proposal__handling_round__gt=1), Q()),
    })
    bad = sorted(negative_codes(RATING_SCALE))
    rows += dashboard.ratio_rows(
        base.filter(role__in=ANSWERING), dept="department_id", bucket="assigned_at", query=query, count="proposal__evaluations",
        measures={"satisfied": (~Q(proposal__evaluations__result_rating__in=bad), Q(proposal__evaluations__isnull=False))},
    )
    tasks = ProposalTask.objects.filter(
        flow_task=ProposalFlow.sign, proposal__in=base.order_by().values("proposal_id"),
    ).filter(query.department_q("department_id"), query.period_q("created"))
    rows += dashboard.ratio_rows(tasks, dept="department_id", bucket="created", query=query, measures={
        "sign_on_time": (Q(finished__lte=F("deadline")), Q(deadline__isnull=False) & (Q(finished__isnull=False) | Q(deadline__lt=now))),
    })
    first_answer = base.order_by().annotate(
        first=Coalesce("opinion_sent_at", Min("replies__replied_at", filter=Q(replies__status=Reply.Status.PASSED))),
    ).filter(first__isnull=False)
    rows += dashboard.average_rows(
        ((dept, start, end, 0) for dept, start, end in first_answer.values_list("department_id", "assigned_at", "first")),
        query=query, code="handling_days",
    )
    from .selectors import proposal_queryset

    open_q = Q(proposal__in=proposal_queryset(user=query.user).order_by().values("pk"))
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


def register() -> None:
    registry.register_metric_provider(registry.MetricProvider(
        code="proposal", label=_("政协提案"), access=access, compute=compute, filter_choices=filter_choices, metrics=tuple(METRICS), order=10, app="proposals",
        noun=_("提案"),
    ))
    dashboard.register_dashboard_navigation({Role.PROPOSAL_OFFICE})
