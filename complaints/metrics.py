"""Complaint figures for the supervision dashboard (workflow.dashboard).

The cases of a period are the complaints *received* in it that were dispatched
to a department (complaint.department: the lead department). Each figure is
one aggregate query grouped by department and day/month:

* 按时签收率: dispatches (any role, not redirected) signed by their sign-for
  deadline / those signed, or unsigned and not returned past the deadline;
* 按时办结率: replies given by the handling deadline (extensions and
  suspensions move the deadline) / those replied, or open past the deadline
  and not suspended;
* 满意率: complaints whose counted rating (complaint.rating: a review
  excluded on appeal no longer counts) is not a bad one / rated complaints;
* 解决率: closed complaints without a bad counted rating / closed complaints;
* 重办率: complaints handled more than once (reopened "not resolved" or
  rectified after a bad review) / cases;
* 退单不当率: dispatches whose return the dispatcher found improper / dispatches;
* 重复投诉率: complaints that later got a duplicate merged into them / cases;
* 平均办理时长: working days from dispatch to the (last) reply, the
  suspended time left out.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow import dashboard, registry
from workflow.daily_figures import DailySpec, daily_dims
from workflow.dashboard import MetricDef, ProviderFigures
from workflow.rules import negative_codes
from workflow.selectors import user_membership_pairs

from . import permissions
from .models import Channel, Complaint, ComplaintTask, Dispatch, Kind
from .roles import Role

RATING_SCALE = "haocha_rating"

METRICS = [
    MetricDef("sign_on_time", _("按时签收率"), help=_("按期签收的派单数 / 已签收或已超签收期限的派单数")),
    MetricDef("reply_on_time", _("按时办结率"), help=_("按期答复的工单数 / 已答复或已超办理期限的工单数（挂起期间不计）")),
    MetricDef("satisfied", _("满意率"), help=_("非差评工单数 / 已评价工单数（申诉成立的差评不计入）")),
    MetricDef("resolved", _("解决率"), help=_("办结且未获差评的工单数 / 已办结工单数")),
    MetricDef("rehandled", _("重办率"), higher_is_better=False, help=_("办理超过一轮的工单数 / 工单数")),
    MetricDef("improper_return", _("退单不当率"), higher_is_better=False, help=_("退单不当的派单数 / 派单数")),
    MetricDef("repeat", _("重复投诉率"), higher_is_better=False, help=_("有重复投诉并入的工单数 / 工单数")),
    MetricDef("handling_days", _("平均办理时长"), kind="avg", higher_is_better=False, unit=_("工作日"),
              help=_("派单至答复的工作日数（挂起时间不计）")),
]


def access(user):
    """Dispatchers, operators and supervisors: every department; a department's handlers and leaders: their own."""
    if permissions.sees_all(user):
        return dashboard.ALL
    return {d for r, d in user_membership_pairs(user=user) if r in (Role.HANDLER, Role.DEPT_LEADER)} or None


def filter_choices() -> dict:
    from .selectors import categories

    return {
        "category": [(c.pk, c.name) for c in categories()],
        "channel": list(Channel.choices),
        "subtype": list(Kind.choices),
    }


def _cases(query, *, own_departments: bool = True) -> Q:
    """The complaints of the period and filters, as conditions on Complaint."""
    q = query.period_q("received_at") & Q(department__isnull=False)
    if own_departments:
        q &= query.department_q("department_id")
    if query.category:
        q &= Q(category_id=query.category)
    if query.channel:
        q &= Q(channel=query.channel)
    if query.subtype:
        q &= Q(kind=query.subtype)
    return q


def _ratio_specs(query) -> list[tuple]:
    """(queryset, department field, bucket field, measures) of the ratio figures."""
    now = query.now
    bad = sorted(negative_codes(RATING_SCALE))
    base = Complaint.objects.filter(_cases(query))
    complaints = (base, "department_id", "received_at", {
        "cases": (Q(), Q()),
        "reply_on_time": (
            Q(replied_at__lte=F("deadline")),
            Q(deadline__isnull=False) & (Q(replied_at__isnull=False) | Q(deadline__lt=now, suspended_since__isnull=True)),
        ),
        "satisfied": (~Q(rating__in=bad), ~Q(rating="")),
        "resolved": (~Q(rating__in=bad), Q(status=Complaint.Status.CLOSED)),
        "rehandled": (Q(handling_round__gt=1), Q()),
        "repeat": (Q(Exists(Complaint.objects.filter(merged_into=OuterRef("pk")))), Q()),
    })
    # Dispatches are counted for the department they went to (co-handlers included).
    dispatches = (_dispatches(query), "department_id", "complaint__received_at", {
        "sign_on_time": (
            Q(signed_at__lte=F("sign_due")),
            Q(signed_at__isnull=False) | Q(returned_at__isnull=True, sign_due__lt=now),
        ),
        "improper_return": (Q(return_improper=True), Q()),
    })
    return [complaints, dispatches]


def _dispatches(query):
    return Dispatch.objects.exclude(status=Dispatch.Status.REDIRECTED).filter(
        complaint__in=Complaint.objects.filter(_cases(query, own_departments=False)).values("pk"),
    ).filter(query.department_q("department_id"))


def _handling_items(query, *extra):
    return (Complaint.objects.filter(_cases(query)).filter(replied_at__isnull=False, dispatched_at__isnull=False).order_by()
            .values_list("department_id", "dispatched_at", "replied_at", "suspended_seconds", *extra))


def compute(query) -> ProviderFigures:
    rows = []
    for qs, dept, bucket, measures in _ratio_specs(query):
        rows += dashboard.ratio_rows(qs, dept=dept, bucket=bucket, query=query, measures=measures)
    rows += dashboard.average_rows(_handling_items(query), query=query, code="handling_days")
    case_filter = {k: v for k, v in (("category", query.category), ("channel", query.channel), ("kind", query.subtype)) if v}
    open_q = Q(complaint__category_id=query.category) if query.category else Q()
    if query.channel:
        open_q &= Q(complaint__channel=query.channel)
    if query.subtype:
        open_q &= Q(complaint__kind=query.subtype)
    # Suspended complaints' tasks are left out (their clocks stand still): their complaint ids
    # from the suspended complaints' partial index, the open tasks' case from their covering
    # index (complainttask_open_case_idx holds the complaint): no table row is read.
    open_q &= ~Q(complaint_id__in=Complaint.objects.filter(suspended_since__isnull=False).order_by().values("pk"))
    open_states = dashboard.open_task_states(ComplaintTask, query=query, case_q=open_q)

    list_url, ledger_url = reverse("complaints:list"), reverse("complaints:ledger")  # once, not per figure

    def link(code: str, dept):
        params = dict(case_filter)
        if dept:
            params["department"] = dept
        if code.startswith("open:"):
            if code in (f"open:{dashboard.SupervisionState.OVERDUE}", f"open:{dashboard.SupervisionState.SEVERELY_OVERDUE}"):
                params["overdue"] = "on"
            return f"{list_url}?{urlencode(params)}"
        params["received_from"] = query.first_day.isoformat()
        params["received_to"] = query.last_day.isoformat()
        return f"{ledger_url}?{urlencode(params)}"

    return ProviderFigures(metrics=METRICS, rows=rows, open_states=open_states, link=link)


# --- the daily figures (workflow.daily_figures) ----------------------------------------------
# Category, channel and kind are the dashboard's filters: the stored rows keep them apart.
_DIMS = {"category": "category_id", "channel": "channel", "subtype": "kind"}


def daily_grouped(query) -> list[tuple]:
    result = []
    for qs, dept, bucket, measures in _ratio_specs(query):
        prefix = "" if qs.model is Complaint else "complaint__"
        dims = daily_dims(query, **{k: prefix + v for k, v in _DIMS.items()})
        result.append((dashboard.ratio_queryset(qs, dept=dept, bucket=bucket, query=query, measures=measures, dims=dims), list(measures)))
    return result


def daily_python_rows(query) -> list[tuple]:
    """The average handling time per (received day, department, category, channel, kind),
    in the trend's bucket of the dispatch day, as dashboard.average_rows sums it."""
    items = list(_handling_items(query, "received_at", "category_id", "channel", "kind"))
    if not items:
        return []
    tz = timezone.get_current_timezone()
    days = dashboard.WorkingDays(min(i[1] for i in items).astimezone(tz).date(), max(i[2] for i in items).astimezone(tz).date())
    groups: dict[tuple, list] = {}
    for dept, start, end, paused, received, category, channel, kind in items:
        key = (received.astimezone(tz).date(), str(category or ""), channel or "", kind or "")
        groups.setdefault(key, []).append((dept, start, end, paused))
    rows = []
    for (day, category, channel, kind), group in groups.items():
        for dept, bucket, code, num, den in dashboard.average_rows(group, query=query, code="handling_days", days=days):
            rows.append((day, bucket, dept, category, channel, kind, code, num, den))
    return rows


def daily_expiry(query) -> dict:
    """Per received day, the earliest deadline at or after query.now whose passing moves a figure:
    an unanswered, unsuspended complaint's handling deadline; an unsigned, unreturned dispatch's
    sign-for deadline."""
    from django.db.models import DateField, Min
    from django.db.models.functions import Trunc

    now = query.now
    tz = timezone.get_current_timezone()
    result: dict = {}
    handling = (Complaint.objects.filter(_cases(query), replied_at__isnull=True, suspended_since__isnull=True, deadline__gte=now)
                .order_by().values(d=Trunc("received_at", "day", output_field=DateField(), tzinfo=tz)).annotate(m=Min("deadline")))
    signing = (_dispatches(query).filter(signed_at__isnull=True, returned_at__isnull=True, sign_due__gte=now)
               .order_by().values(d=Trunc("complaint__received_at", "day", output_field=DateField(), tzinfo=tz)).annotate(m=Min("sign_due")))
    for r in [*handling, *signing]:
        if r["d"] not in result or r["m"] < result[r["d"]]:
            result[r["d"]] = r["m"]
    return result


def daily_changed_days(since) -> set:
    """The received days of the complaints changed since `since`: saved (their history, and the
    complaints they were merged into), their dispatches saved, or an event on them (a deadline
    recomputed set-wise after a calendar correction writes one)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import DateField
    from django.db.models.functions import Trunc

    from workflow.models import CaseEvent
    from workflow.supervision import EVENT_RECOMPUTED

    tz = timezone.get_current_timezone()
    day = Trunc("received_at", "day", output_field=DateField(), tzinfo=tz)
    history = Complaint.history.model.objects.filter(history_date__gte=since).order_by()
    days = set(history.annotate(d=day).values_list("d", flat=True).distinct())
    # Each read searches its table's time index; the complaints they name are few (changes since the last refresh).
    ids = set(history.filter(merged_into__isnull=False).values_list("merged_into_id", flat=True))
    ids |= set(Dispatch.history.model.objects.filter(history_date__gte=since).order_by().values_list("complaint_id", flat=True))
    # Set-wise deadline moves (workflow.deadlines) write no history, only this event on each case.
    ids |= set(CaseEvent.objects.filter(case_type=ContentType.objects.get_for_model(Complaint), created_at__gte=since,
                                        type=EVENT_RECOMPUTED).order_by().values_list("case_id", flat=True))
    ids = sorted(ids)
    for i in range(0, len(ids), 5000):  # one query unless the refresh has not run for long
        days |= set(Complaint.objects.filter(pk__in=ids[i:i + 5000]).order_by().annotate(d=day).values_list("d", flat=True).distinct())
    return days


def daily_first_day():
    first = Complaint.objects.filter(department__isnull=False).order_by("received_at").values_list("received_at", flat=True).first()
    return timezone.localtime(first).date() if first else None


DAILY = DailySpec(grouped=daily_grouped, python_rows=daily_python_rows, expiry=daily_expiry,
                  changed_days=daily_changed_days, first_day=daily_first_day)


def register() -> None:
    registry.register_metric_provider(registry.MetricProvider(
        code="complaint", label=_("投诉工单"), access=access, compute=compute, filter_choices=filter_choices, metrics=tuple(METRICS), order=20, app="complaints",
        noun=_("投诉"), daily=DAILY,
    ))
    dashboard.register_dashboard_navigation({Role.DISPATCHER, Role.OPERATOR})
