"""The supervision dashboard (督办看板): figures per department, trends and fair rankings.

The engine names no case app. Each case app registers a metric provider
(workflow.registry.register_metric_provider) that, for a DashboardQuery,
returns its figures as rows ``(department id, bucket, metric code, numerator,
denominator)``, each from an aggregate query grouped by department and time
bucket (GROUP BY, never a loop over departments or cases), scoped by the case
app's own selectors. This module sums the rows into totals, per-department
figures and trends, ranks the departments fairly and writes the workbook.

Who sees what (each provider's ``access(user)``): the proposal office, the
complaint dispatch centre and supervisors see every department (supervisors
only the cases they supervise, as the case app's selectors say); a
department's handlers and leaders see their own department's figures only.

Fair ranking: a department is ranked on a figure only with at least
``ranking_min_cases`` cases in the period (RuleSetting, default 5); ties share
a rank (1, 1, 3); the others are listed as 样本不足，不参与排名.
"""
from __future__ import annotations

import bisect
import datetime as dt
import io
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

from django.core.exceptions import PermissionDenied
from django.db.models import DateField, F, Q
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import registry
from .models import CalendarDay, Department, RuleSetting, SupervisionState

RANKING_MIN_CODE = "ranking_min_cases"
RANKING_MIN_DEFAULT = 5
MAX_DAY_BUCKETS = 62  # a custom range longer than this is shown by month
MAX_RANGE_DAYS = 3 * 366

STATES = (
    (SupervisionState.ON_TIME, gettext_lazy("按时")),
    (SupervisionState.WARNING, gettext_lazy("即将到期")),
    (SupervisionState.OVERDUE, gettext_lazy("已逾期")),
    (SupervisionState.SEVERELY_OVERDUE, gettext_lazy("严重逾期")),
)
ALL = "all"
TREND_CODES = ("reply_on_time", "satisfied")
DEFAULT_RANK = "reply_on_time"  # the ranking's figure unless another is chosen


# --- what providers return -------------------------------------------------------------------
@dataclass(frozen=True)
class MetricDef:
    """One figure: a rate (numerator / denominator, shown in %) or an average
    (sum / count, e.g. working days). `higher_is_better` orders the ranking."""

    code: str
    label: Any
    kind: str = "rate"  # "rate" | "avg"
    higher_is_better: bool = True
    unit: Any = "%"
    help: Any = ""


@dataclass
class ProviderFigures:
    metrics: list[MetricDef]
    # (department id, bucket date, metric code, numerator, denominator); metric "cases" counts cases.
    # Bucket None: the department's total of the period; department None: the bucket's total.
    rows: list[tuple] = field(default_factory=list)
    # (department id, supervision state, open tasks)
    open_states: list[tuple] = field(default_factory=list)
    # (metric code | "cases" | "open:<state>", department id | None) -> URL of the cases behind it, or None
    link: Callable[[str, int | None], str | None] = lambda code, dept: None
    link_note: Any = ""  # said under the figures when the links cannot carry every filter


@dataclass
class DashboardQuery:
    """What the figures are about; handed to each provider's compute()."""

    user: Any
    start: dt.datetime  # included
    end: dt.datetime  # excluded
    granularity: str  # "day" | "month": the trend's buckets
    departments: frozenset | None  # None: every department the provider's scope allows
    department: int | None = None  # the department filter (already inside `departments`)
    category: str = ""  # the provider's own category id (the filter is "<provider>:<id>")
    channel: str = ""
    subtype: str = ""
    now: dt.datetime | None = None
    # When set, the days of the period to compute live (workflow.daily_figures: the other
    # days' figures are stored): [start, end) moments; period_q matches only these.
    ranges: tuple | None = None

    def bucket(self, field_name: str):
        """The trend's bucket of a datetime field (local day or month), for values()."""
        return Trunc(field_name, self.granularity, output_field=DateField(), tzinfo=timezone.get_current_timezone())

    def department_q(self, field_name: str) -> Q:
        if self.departments is None:
            return Q()
        return Q(**{f"{field_name}__in": sorted(self.departments)})

    def period_q(self, field_name: str) -> Q:
        if self.ranges is None:
            return Q(**{f"{field_name}__gte": self.start, f"{field_name}__lt": self.end})
        if not self.ranges:
            return Q(pk__in=[])
        q = Q()
        for start, end in self.ranges:
            q |= Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
        return q

    @property
    def first_day(self) -> dt.date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> dt.date:
        return timezone.localtime(self.end).date() - dt.timedelta(days=1)


# --- helpers for providers ------------------------------------------------------------------
def open_task_states(task_model, *, query: DashboardQuery, case_q: Q = Q()) -> list[tuple]:
    """(department, state, count) of the open tasks of one case type: one GROUP BY query
    over the case task table's own open rows (CaseTask.is_open, its partial index), as the
    inbox reads them: viewflow's open-task index would hand over every case type's open
    tasks. Open tasks are counted now, whatever the period: the period is about cases that
    entered it. The states are decided now as the inbox's chips and the navigation's counts
    decide them (workflow.inbox.StateRanges.open_q), not as the last sweep stored them."""
    from django.db.models import Case, CharField, Count, Value, When

    from .inbox import STATES, StateRanges

    ranges = StateRanges(timezone.now())
    # Each row's state by one CASE, grouped by (department, state): the states' ranges are
    # disjoint, and most open tasks are on time (the first branch), so a row is tested about
    # once, where a filtered count per state tested every row four times (docs/performance.md).
    state = Case(*(When(ranges.open_q(task_model, s), then=Value(str(s))) for s in STATES), default=Value(""), output_field=CharField())
    qs = (
        task_model.objects.filter(is_open=True).filter(case_q).filter(query.department_q("department_id"))
        .exclude(department__isnull=True).order_by().values("department_id").annotate(dash_state=state)
        .values("department_id", "dash_state").annotate(n=Count("pk"))
    )
    return [(r["department_id"], r["dash_state"], r["n"]) for r in qs if r["dash_state"] and r["n"]]


class WorkingDays:
    """Working days between two moments, counted in memory from one query on the calendar."""

    def __init__(self, first: dt.date, last: dt.date):
        self.tz = timezone.get_current_timezone()  # once: localtime() looks it up per call
        self.days = list(
            CalendarDay.objects.filter(date__gte=first, date__lte=last, is_working_day=True).order_by("date").values_list("date", flat=True)
        )

    def between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Working days from a to b: whole working days after a's day up to b's day, plus
        the fractions of a's and b's days when they are working days (same day: the hours)."""
        if b <= a:
            return 0.0
        a_local, b_local = a.astimezone(self.tz), b.astimezone(self.tz)
        da, db = a_local.date(), b_local.date()
        if da == db:
            return ((b_local - a_local).total_seconds() / 86400) if self._working(da) else 0.0
        whole = bisect.bisect_left(self.days, db) - bisect.bisect_right(self.days, da)
        head = (1 - _day_fraction(a_local)) if self._working(da) else 0.0
        tail = _day_fraction(b_local) if self._working(db) else 0.0
        return max(0, whole) + head + tail

    def _working(self, day: dt.date) -> bool:
        i = bisect.bisect_left(self.days, day)
        return i < len(self.days) and self.days[i] == day


def _day_fraction(moment: dt.datetime) -> float:
    return (moment.hour * 3600 + moment.minute * 60 + moment.second) / 86400


def average_rows(items, *, query: DashboardQuery, code: str, days: WorkingDays | None = None) -> list[tuple]:
    """Rows for an average handling time in working days from (department, start, end,
    seconds to leave out) tuples read in one query (suspensions left out: the end moves
    earlier by the suspended time). Summed per (department, bucket of start).
    `days`: a calendar already read that spans the items."""
    items = list(items)
    if not items:
        return []
    if days is None:
        first = min(timezone.localtime(i[1]).date() for i in items)
        last = max(timezone.localtime(i[2]).date() for i in items)
        days = WorkingDays(first, last)
    sums: dict[tuple, list] = {}
    tz = days.tz
    for dept, start, end, paused in items:
        end = end - dt.timedelta(seconds=paused or 0)
        key = (dept, bucket_of(start.astimezone(tz).date(), query.granularity))
        acc = sums.setdefault(key, [0.0, 0])
        acc[0] += days.between(start, end)
        acc[1] += 1
    return [(dept, bucket, code, total, n) for (dept, bucket), (total, n) in sums.items()]


def bucket_of(day: dt.date, granularity: str) -> dt.date:
    return day.replace(day=1) if granularity == "month" else day


def ratio_queryset(qs, *, dept: str, bucket: str, measures: dict[str, tuple[Q, Q]], query: DashboardQuery, count: str = "pk",
                   dims: dict | None = None):
    """The GROUP BY (department, bucket[, dims]) queryset of ratio_rows: for each metric code
    ``<code>__num`` and ``<code>__den``, the rows (or the related `count` rows) matching its
    numerator and its denominator conditions. `dims`: more group-by keys (the daily figures')."""
    from django.db.models import Count

    annotations = {}
    for code, (num, den) in measures.items():
        both = num & den
        annotations[f"{code}__num"] = Count(count, filter=both or None, distinct=True)
        annotations[f"{code}__den"] = Count(count, filter=den or None, distinct=True)
    return qs.order_by().values(dash_dept=F(dept), dash_bucket=query.bucket(bucket), **(dims or {})).annotate(**annotations)


def ratio_rows(qs, *, dept: str, bucket: str, measures: dict[str, tuple[Q, Q]], query: DashboardQuery, count: str = "pk") -> list[tuple]:
    """One GROUP BY (department, bucket) query counting, for each metric code, the rows
    (or the related `count` rows) matching its numerator and its denominator conditions."""
    result = []
    for r in ratio_queryset(qs, dept=dept, bucket=bucket, measures=measures, query=query, count=count):
        if r["dash_dept"] is None:
            continue
        for code in measures:
            result.append((r["dash_dept"], r["dash_bucket"], code, r[f"{code}__num"], r[f"{code}__den"]))
    return result


# --- period ----------------------------------------------------------------------------------
PERIODS = (
    ("day", gettext_lazy("日")), ("month", gettext_lazy("月")), ("quarter", gettext_lazy("季度")),
    ("year", gettext_lazy("年")), ("custom", gettext_lazy("自定义")),
)


def period_bounds(kind: str, day: dt.date, start: dt.date | None = None, end: dt.date | None = None) -> tuple[dt.date, dt.date, str]:
    """(first day, last day, granularity) of a period containing `day` (custom: start..end)."""
    if kind == "day":
        return day, day, "day"
    if kind == "month":
        first = day.replace(day=1)
        return first, _next_month(first) - dt.timedelta(days=1), "day"
    if kind == "quarter":
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return first, _next_month(_next_month(_next_month(first))) - dt.timedelta(days=1), "month"
    if kind == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), "month"
    first, last = start or day, end or day
    return first, last, "day" if (last - first).days < MAX_DAY_BUCKETS else "month"


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def buckets(first: dt.date, last: dt.date, granularity: str) -> list[dt.date]:
    result, day = [], bucket_of(first, granularity)
    while day <= last:
        result.append(day)
        day = _next_month(day) if granularity == "month" else day + dt.timedelta(days=1)
    return result


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


# --- access ----------------------------------------------------------------------------------
def dashboard_access(*, user) -> dict[str, Any]:
    """{provider code: "all" | frozenset of department ids} for the providers whose figures
    the user may see (empty: the dashboard is not for them)."""
    if not user.is_authenticated:
        return {}
    result = {}
    for provider in registry.metric_providers():
        access = provider.access(user)
        if access is None:
            continue
        if access != ALL:
            access = frozenset(access)
            if not access:
                continue
        result[provider.code] = access
    return result


def register_dashboard_navigation(roles) -> None:
    """The dashboard's home-page entry, for the department roles, supervisors and the roles a
    case app adds (each case app calls this with the roles its provider lets in)."""
    from .roles import EngineRole

    existing = next((e for e in registry.navigation() if e.url_name == "supervision-dashboard"), None)
    base = {EngineRole.HANDLER, EngineRole.DEPT_LEADER, EngineRole.SUPERVISOR}
    registry.register_navigation(registry.NavEntry(
        "supervision-dashboard", gettext_lazy("督办看板"), frozenset({*base, *(existing.roles if existing else ()), *roles}),
        gettext_lazy("逾期预警、按时办结率、满意率等指标和单位排名，可导出Excel"), order=25, primary=True,
    ))
    from .reports import register_report_navigation

    register_report_navigation({*base, *(existing.roles if existing else ()), *roles})  # 通报: the same readers


def ranking_minimum_ensure() -> int:
    """The ranking minimum's row (rules as data), when missing: 1 when created, else 0."""
    _row, created = RuleSetting.objects.get_or_create(
        code=RANKING_MIN_CODE,
        defaults={"name": "参与排名的最少案件数", "value": RANKING_MIN_DEFAULT, "note": "统计期内案件数少于此数的单位不参与排名（样本不足）"},
    )
    return int(created)


def ranking_minimum() -> int:
    row = RuleSetting.objects.filter(code=RANKING_MIN_CODE).values_list("value", flat=True).first()
    return RANKING_MIN_DEFAULT if row is None else row


# --- the figures ------------------------------------------------------------------------------
@dataclass
class Figure:
    code: str
    label: Any
    kind: str
    unit: Any
    num: float
    den: int
    link: str | None = None
    higher_is_better: bool = True
    help: Any = ""

    @property
    def value(self) -> float | None:
        if not self.den:
            return None
        return round(100 * self.num / self.den, 1) if self.kind == "rate" else round(self.num / self.den, 1)

    @property
    def exact(self) -> Fraction | None:
        if not self.den:
            return None
        return Fraction(round(self.num * 1000), 1000 * self.den)

    @property
    def display(self) -> str:
        v = self.value
        if v is None:
            return "—"
        return f"{v:.1f}%" if self.kind == "rate" else f"{v:.1f}"


@dataclass
class DeptRow:
    department: Department
    cases: int
    figures: list[Figure]
    open_states: dict[str, int]
    cases_link: str | None = None


@dataclass
class RankEntry:
    rank: int
    row: DeptRow
    figure: Figure


@dataclass
class Ranking:
    metric: MetricDef
    minimum: int
    ranked: list[RankEntry]
    insufficient: list[DeptRow]  # fewer cases than the minimum (or no figure at all)


@dataclass
class Section:
    """One case type's part of the dashboard."""

    code: str
    label: Any
    metrics: list[MetricDef]
    cases: int
    cases_link: str | None
    totals: list[Figure]
    open_states: list[tuple]  # (state, label, count, link)
    departments: list[DeptRow]
    trend: dict  # {"buckets": [...], "series": [{"code", "label", "kind", "values": [...]}]}
    trend_rows: list  # (bucket label, [value per series]): the chart's table
    ranking: Ranking | None
    link_note: Any = ""


@dataclass
class NoticeRow:
    """Supervision notices (督办单) of one department (None: all of them) issued in the period."""

    department: Any
    received: int = 0
    cases: int = 0
    on_time: int = 0  # answered by the deadline
    late: int = 0  # answered after the deadline
    overdue: int = 0  # not answered, deadline passed
    link: str = ""
    overdue_link: str = ""

    @property
    def due(self) -> int:
        """The notices whose outcome is known (answered, or past the deadline): the rate's basis."""
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> Figure:
        return Figure("notice_on_time", gettext_lazy("督办单按期答复率"), "rate", "%", self.on_time, self.due, link=self.link)


@dataclass
class NoticeFigures:
    totals: NoticeRow
    departments: list[NoticeRow]


@dataclass
class Dashboard:
    first: dt.date
    last: dt.date
    granularity: str
    sections: list[Section]
    minimum: int
    notices: NoticeFigures | None = None


def dashboard_build(*, user, kind: str, day: dt.date, start: dt.date | None = None, end: dt.date | None = None,
                    department: int | None = None, category: str = "", channel: str = "", case_type: str = "",
                    rank_by: str = "", now: dt.datetime | None = None) -> Dashboard:
    """The dashboard for one user and one set of filters, in a fixed number of queries.

    PermissionDenied when the dashboard is not for the user, or the department asked
    for is not one whose figures they may see."""
    now = now or timezone.now()
    access = dashboard_access(user=user)
    if not access:
        raise PermissionDenied(_("督办看板只对督查人员、提案委、热线派单中心和各承办单位开放。"))
    if department is not None and not any(a == ALL or department in a for a in access.values()):
        raise PermissionDenied(_("您只能查看本单位的统计数据。"))
    first, last, granularity = period_bounds(kind, day, start, end)
    provider_code, _sep, subtype = (case_type or "").partition(".")
    cat_provider, _sep, cat_id = (category or "").partition(":")
    minimum = ranking_minimum()
    sections = []
    for provider in registry.metric_providers():
        if provider.code not in access:
            continue
        if provider_code and provider.code != provider_code:
            continue
        if cat_provider and provider.code != cat_provider:
            continue
        choices = provider.filter_choices()
        if channel and not choices.get("channel"):
            continue
        allowed = access[provider.code]
        if department is not None:
            if allowed != ALL and department not in allowed:
                continue
            departments = frozenset({department})
        else:
            departments = None if allowed == ALL else allowed
        query = DashboardQuery(
            user=user, start=_start_of(first), end=_start_of(last + dt.timedelta(days=1)), granularity=granularity,
            departments=departments, department=department, category=cat_id, channel=channel, subtype=subtype, now=now,
        )
        if provider.daily is not None:
            from .daily_figures import provider_figures

            figures = provider_figures(provider, query)
        else:
            figures = provider.compute(query)
        sections.append(_section(provider, figures, query, first, last, rank_by, minimum))
    notices = notice_figures(
        access=access, department=department, provider_code=provider_code,
        start=_start_of(first), end=_start_of(last + dt.timedelta(days=1)), now=now,
    )
    _attach_departments(sections, notices)
    return Dashboard(first=first, last=last, granularity=granularity, sections=sections, minimum=minimum, notices=notices)


def notice_figures(*, access: dict, department: int | None, provider_code: str, start: dt.datetime, end: dt.datetime,
                   now: dt.datetime) -> NoticeFigures | None:
    """Supervision notices (督办单) issued in the period, per department: received, cases
    concerned, answered by the deadline, answered late, overdue unanswered. One query grouped
    by department and case type, over the case types (and departments) the user's dashboard
    covers; the category and channel filters do not apply (a notice has neither)."""
    from django.db.models import Count
    from django.urls import reverse

    from .models import SupervisionNotice

    scope = Q()
    for provider in registry.metric_providers():
        allowed = access.get(provider.code)
        if allowed is None or (provider_code and provider.code != provider_code):
            continue
        q = Q(case_type__app_label=provider.app)
        if allowed != ALL:
            q &= Q(department_id__in=sorted(allowed))
        scope |= q
    if not scope:
        return None
    qs = SupervisionNotice.objects.filter(scope, issued_at__gte=start, issued_at__lt=end)
    if department is not None:
        qs = qs.filter(department_id=department)
    grouped = (
        qs.order_by().values("department_id", "case_type_id").annotate(
            received=Count("pk"), cases=Count("case_id", distinct=True),
            on_time=Count("pk", filter=Q(responded_at__isnull=False, responded_at__lte=F("deadline"))),
            late=Count("pk", filter=Q(responded_at__gt=F("deadline"))),
            overdue=Count("pk", filter=Q(responded_at__isnull=True, deadline__lt=now)),
        )
    )
    base = reverse("supervision-notices")
    rows: dict[int, NoticeRow] = {}
    totals = NoticeRow(department=None, link=base + (f"?department={department}" if department else ""),
                       overdue_link=base + "?status=overdue" + (f"&department={department}" if department else ""))
    for r in grouped:
        row = rows.setdefault(r["department_id"], NoticeRow(
            department=r["department_id"], link=f"{base}?department={r['department_id']}",
            overdue_link=f"{base}?department={r['department_id']}&status=overdue",
        ))
        for target in (row, totals):
            for name in ("received", "cases", "on_time", "late", "overdue"):
                setattr(target, name, getattr(target, name) + r[name])
    return NoticeFigures(totals=totals, departments=list(rows.values()))


def _section(provider, figures: ProviderFigures, query, first, last, rank_by, minimum) -> Section:
    metrics = figures.metrics
    by_dept: dict[int, dict[str, list]] = {}
    by_bucket: dict[dt.date, dict[str, list]] = {}
    totals: dict[str, list] = {}
    for dept, bucket, code, num, den in figures.rows:
        # A row without a bucket is a department's period total, one without a department a
        # bucket's total over the departments (workflow.daily_figures); each counts once.
        if dept is None:
            targets = (by_bucket.setdefault(bucket, {}),)
        elif bucket is None:
            targets = (by_dept.setdefault(dept, {}), totals)
        else:
            targets = (by_dept.setdefault(dept, {}), by_bucket.setdefault(bucket, {}), totals)
        for target in targets:
            acc = target.setdefault(code, [0, 0])
            acc[0] += num
            acc[1] += den
    states_by_dept: dict[int, dict[str, int]] = {}
    state_totals = {s: 0 for s, _l in STATES}
    for dept, state, n in figures.open_states:
        states_by_dept.setdefault(dept, {s: 0 for s, _l in STATES})[state] = n
        state_totals[state] = state_totals.get(state, 0) + n

    def figure_list(data: dict, dept) -> list[Figure]:
        return [
            Figure(m.code, m.label, m.kind, m.unit, *data.get(m.code, [0, 0]), link=figures.link(m.code, dept),
                   higher_is_better=m.higher_is_better, help=m.help)
            for m in metrics
        ]

    dept_rows = [
        DeptRow(department=dept_id, cases=by_dept.get(dept_id, {}).get("cases", [0, 0])[1], figures=figure_list(by_dept.get(dept_id, {}), dept_id),
                open_states=states_by_dept.get(dept_id, {s: 0 for s, _l in STATES}), cases_link=figures.link("cases", dept_id))
        for dept_id in sorted(set(by_dept) | set(states_by_dept))
    ]
    bucket_days = buckets(first, last, query.granularity)
    series = [{"code": "cases", "label": str(_("案件数")), "kind": "count", "values": [by_bucket.get(b, {}).get("cases", [0, 0])[1] for b in bucket_days]}]
    for m in metrics:
        values = []
        for b in bucket_days:
            num, den = by_bucket.get(b, {}).get(m.code, [0, 0])
            values.append(None if not den else round((100 if m.kind == "rate" else 1) * num / den, 1))
        series.append({"code": m.code, "label": str(m.label), "kind": m.kind, "unit": str(m.unit), "values": values})
    # The chart (and its table) shows the case count and the trend metrics (TREND_CODES) the
    # provider has; every series stays in the JSON for whoever wants more.
    shown = [x for x in series if x["code"] == "cases" or x["code"] in TREND_CODES]
    labels = [b.strftime("%Y-%m" if query.granularity == "month" else "%m-%d") for b in bucket_days]
    trend = {"buckets": labels, "series": shown}
    trend_rows = [(label, [x["values"][i] for x in shown]) for i, label in enumerate(labels)]
    rank_metric = next((m for m in metrics if m.code == (rank_by or DEFAULT_RANK)), metrics[0] if metrics else None)
    return Section(
        code=provider.code, label=provider.label, metrics=metrics, cases=totals.get("cases", [0, 0])[1],
        cases_link=figures.link("cases", query.department), totals=figure_list(totals, query.department),
        open_states=[(s, label, state_totals.get(s, 0), figures.link(f"open:{s}", query.department)) for s, label in STATES],
        departments=dept_rows, trend=trend, trend_rows=trend_rows, ranking=(rank_metric, minimum), link_note=figures.link_note,
    )


def _attach_departments(sections: list[Section], notices: NoticeFigures | None = None) -> None:
    """Department ids to Department rows (one query), then the rankings."""
    ids = {row.department for s in sections for row in s.departments}
    if notices is not None:
        ids |= {row.department for row in notices.departments}
    names = Department.objects.in_bulk(ids) if ids else {}
    if notices is not None:
        notices.departments = [r for r in notices.departments if r.department in names]
        for row in notices.departments:
            row.department = names[row.department]
        notices.departments.sort(key=lambda r: (r.department.code, r.department.pk))
    for section in sections:
        section.departments = [r for r in section.departments if r.department in names]
        for row in section.departments:
            row.department = names[row.department]
        section.departments.sort(key=lambda r: (r.department.code, r.department.pk))
        metric, minimum = section.ranking
        section.ranking = rank(section.departments, metric, minimum) if metric else None


def rank(rows: list[DeptRow], metric: MetricDef, minimum: int) -> Ranking:
    """Fair ranking on one figure: departments with fewer than `minimum` cases (or no
    figure) are listed apart; equal figures share a rank (1, 1, 3)."""
    eligible, insufficient = [], []
    for row in rows:
        figure = next(f for f in row.figures if f.code == metric.code)
        if row.cases >= minimum and figure.den:
            eligible.append((figure.exact, row, figure))
        else:
            insufficient.append(row)
    eligible.sort(key=lambda e: (-e[0] if metric.higher_is_better else e[0], e[1].department.code))
    ranked, previous, current_rank = [], None, 0
    for position, (exact, row, figure) in enumerate(eligible, start=1):
        if exact != previous:
            current_rank, previous = position, exact
        ranked.append(RankEntry(rank=current_rank, row=row, figure=figure))
    return Ranking(metric=metric, minimum=minimum, ranked=ranked, insufficient=insufficient)


# --- export ----------------------------------------------------------------------------------
def dashboard_xlsx(board: Dashboard) -> tuple[bytes, int]:
    """The dashboard's figures and rankings as an .xlsx workbook: (bytes, rows written)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    bold = Font(bold=True)
    summary = workbook.active
    summary.title = _("总体指标")
    rows = 0

    def header(sheet, values):
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            cell.font = bold

    period = f"{board.first:%Y-%m-%d} — {board.last:%Y-%m-%d}"
    header(summary, [_("统计期"), period])
    header(summary, [_("案件类型"), _("指标"), _("数值"), _("单位"), _("分子"), _("依据案件数")])
    for s in board.sections:
        summary.append([str(s.label), _("案件数"), s.cases, None, None, s.cases])
        for state, label, count, _link in s.open_states:
            summary.append([str(s.label), _("在办任务：%(state)s") % {"state": label}, count, None, None, count])
        for f in s.totals:
            summary.append([str(s.label), str(f.label), f.value, str(f.unit), round(f.num, 2), f.den])
            rows += 1
    depts = workbook.create_sheet(_("各单位指标"))
    for s in board.sections:
        header(depts, [str(s.label), _("单位"), _("案件数"), *[f"{m.label}（{m.unit}）" for m in s.metrics], *[str(label) for _s, label in STATES]])
        for row in s.departments:
            depts.append([
                str(s.label), row.department.name, row.cases, *[f.value for f in row.figures],
                *[row.open_states.get(state, 0) for state, _l in STATES],
            ])
            rows += 1
        depts.append([])
    ranking = workbook.create_sheet(_("排名"))
    for s in board.sections:
        r = s.ranking
        if r is None:
            continue
        header(ranking, [str(s.label), _("按%(metric)s排名（至少%(n)d件参与排名）") % {"metric": r.metric.label, "n": r.minimum}])
        header(ranking, [_("名次"), _("单位"), str(r.metric.label), _("依据案件数"), _("案件数")])
        for e in r.ranked:
            ranking.append([e.rank, e.row.department.name, e.figure.value, e.figure.den, e.row.cases])
            rows += 1
        for row in r.insufficient:
            ranking.append([_("样本不足，不参与排名"), row.department.name, None, None, row.cases])
            rows += 1
        ranking.append([])
    if board.notices is not None:
        sheet = workbook.create_sheet(_("督办单"))
        header(sheet, [_("单位"), _("收到督办单"), _("涉及案件"), _("按期答复"), _("逾期答复"), _("逾期未答复"), _("按期答复率（%）"), _("依据件数")])
        for row in [*board.notices.departments, board.notices.totals]:
            name = row.department.name if row.department is not None else _("合计")
            sheet.append([name, row.received, row.cases, row.on_time, row.late, row.overdue, row.rate.value, row.due])
            rows += 1
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), rows
