"""Supervision of deadlines (督办): the state of every open task, the sweep
that moves tasks between states set-wise, urging notices and breach records.

States (workflow.models.SupervisionState), from a task's deadline, "now" and
its rule (`Thresholds`):

* on time;
* warning (即将到期): the deadline falls within the next `warn_before`
  working days (today included); `warn_before` is the time-limit rule of the
  node's deadline step, or settings.SUPERVISION_DEFAULT_WARN_BEFORE_WD when
  the node's deadline is computed (a case's own deadline); 0 = no warning;
* overdue (已逾期): the deadline has passed;
* severely overdue (严重逾期): still open after the N-th working day after
  the deadline's day ended; N is the case kind's registered "severe" step in
  the rules table (e.g. a "reprimand" step of 5 WD), or
  settings.SUPERVISION_DEFAULT_SEVERE_WD.

`Thresholds.state(deadline)` is the one place that decides; the sweep turns
the same thresholds into deadline ranges (`Thresholds.range_q`), so a page
and the sweep never disagree.

The sweep (`supervision_sweep(now=...)`) runs from Celery beat every 15
minutes (workflow.schedules). For each supervised task model
(workflow.registry.register_supervision) and target state one UPDATE moves
the open tasks whose deadline lies in that state's range but whose stored
state differs, marking them; for the tasks *entering* a state, set-wise
(INSERT ... SELECT over the marked tasks, workflow.bulk_sql): warning → a
reminder to whoever owes the tasks; overdue → an urging notice (催办单) per
task and a notification to the department; severely overdue → a breach record
(违诺记录) per task and a notification to the supervisors and the department's
leaders. Each person gets one notification per kind and sweep, counting the
tasks it is about. Notices and records are unique per task and deadline, and
events and notifications follow only the ones a sweep wrote: a second run, or
two at once, write and send nothing more. A deadline moved later (extension)
puts the task back in the state it now belongs to in the same sweep.

A case app's `pending_extension` hook holds back the urging notice and the
breach record while an extension asked in time waits for its decision; at
its start the sweep recomputes the calendar-based deadlines of open tasks
(their stored basis) after a calendar correction, then evaluates the states
with them (docs/supervision.md).
"""
from __future__ import annotations

import bisect
import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import registry
from .bulk_sql import insert_select, per_person
from .events import EventType, register_events
from .models import (
    BreachRecord, CaseEvent, Membership, Notification, SupervisionState, TimeLimitRule, UrgingNotice, User,
)
from .roles import EngineRole
from .workdays import CalendarYearMissing, add_working_days, provisional_years

logger = logging.getLogger(__name__)

State = SupervisionState

EVENT_URGED, EVENT_BREACH, EVENT_URGING_SIGNED = "supervision_urged", "supervision_breach", "urging_signed"
EVENT_RECOMPUTED = "deadline_recomputed"


def register_supervision_events(task_model) -> None:
    """The supervision events, declared on the supervised task model's case model."""
    case_model = task_model._meta.get_field(task_model.case_field).related_model
    register_events(case_model, [
        EventType(EVENT_URGED, gettext_lazy("逾期催办")),
        EventType(EVENT_BREACH, gettext_lazy("严重逾期，记录违诺")),
        EventType(EVENT_URGING_SIGNED, gettext_lazy("签收催办单")),
        EventType(EVENT_RECOMPUTED, gettext_lazy("工作日历调整，期限重新计算")),
    ])


# --- working days in memory ----------------------------------------------------------
class WorkdayIndex:
    """The working days around a date, loaded once (one query), counted with bisect.
    Falls back to the calendar table beyond the loaded span."""

    def __init__(self, around: dt.date):
        # The process's calendar in memory (workflow.workdays: reloaded within a
        # second of an administrator's change): no query per page or sweep.
        from .workdays import _current

        calendar = _current()
        self.days, self.years = calendar.days, calendar.years
        if self.days:
            self.lo, self.hi = self.days[0] - dt.timedelta(days=1), self.days[-1] + dt.timedelta(days=1)
        else:
            self.lo = self.hi = around

    def add(self, day: dt.date, n: int) -> dt.date:
        """workflow.workdays.add_working_days, in memory."""
        if n == 0:
            return day
        i = bisect.bisect_right(self.days, day) + n - 1 if n > 0 else bisect.bisect_left(self.days, day) + n
        if 0 <= i < len(self.days):
            result = self.days[i]
            first, last = sorted((day, result))
            if self.lo < first and last < self.hi and all(y in self.years for y in range(first.year, last.year + 1)):
                return result
        try:
            return add_working_days(day, n)  # beyond what is loaded
        except CalendarYearMissing as exc:
            # The sweep must go on in late December before next year's calendar is
            # imported (administrators are told: calendar_check_next_year): count
            # Monday to Friday in the missing year, and say so in the log.
            logger.warning("supervision: calendar year %s missing, counting Monday-Friday", exc.year)
            return self._estimate(day, n)

    def _estimate(self, day: dt.date, n: int) -> dt.date:
        known = set(self.days)
        step = dt.timedelta(days=1 if n > 0 else -1)
        left = abs(n)
        while left:
            day += step
            if (day in known) if day.year in self.years else day.weekday() < 5:
                left -= 1
        return day

    def between(self, a: dt.date, b: dt.date) -> int:
        """Working days after `a` up to and including `b` (b >= a), as workdays.working_days_between."""
        if b <= a:
            return 0
        return bisect.bisect_right(self.days, b) - bisect.bisect_right(self.days, a)


def _start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class Thresholds:
    """Deadline boundaries of the states at one moment, for one (warn, severe) rule."""

    now: dt.datetime
    warn_until: dt.datetime | None  # deadline before this (and not past) → warning
    severe_before: dt.datetime  # deadline before this → severely overdue

    @classmethod
    def at(cls, *, now: dt.datetime, warn_before_wd: int, severe_wd: int, workdays: WorkdayIndex | None = None) -> Thresholds:
        today = timezone.localtime(now).date()
        workdays = workdays or WorkdayIndex(today)
        warn_until = None
        if warn_before_wd > 0:
            warn_until = _start_of_day(workdays.add(today, warn_before_wd) + dt.timedelta(days=1))
        return cls(now=now, warn_until=warn_until, severe_before=_start_of_day(workdays.add(today, -severe_wd)))

    def state(self, deadline: dt.datetime | None) -> str:
        """The one rule deciding a task's state (the sweep's ranges follow it)."""
        if deadline is None:
            return State.ON_TIME
        if deadline < self.severe_before:
            return State.SEVERELY_OVERDUE
        if deadline < self.now:
            return State.OVERDUE
        if self.warn_until is not None and deadline < self.warn_until:
            return State.WARNING
        return State.ON_TIME

    def range_q(self, state: str) -> Q:
        """The deadlines in `state`, as a filter (the same boundaries as `state()`)."""
        if state == State.SEVERELY_OVERDUE:
            return Q(deadline__lt=self.severe_before)
        if state == State.OVERDUE:
            return Q(deadline__gte=self.severe_before, deadline__lt=self.now)
        if state == State.WARNING:
            if self.warn_until is None:
                return Q(pk__in=[])
            return Q(deadline__gte=self.now, deadline__lt=self.warn_until)
        q = Q(deadline__gte=self.now)
        if self.warn_until is not None:
            q &= Q(deadline__gte=self.warn_until)
        return q | Q(deadline__isnull=True)


# --- rules --------------------------------------------------------------------------------
class Rules:
    """The warn-before and severe windows of every node, from the rules table (one query)."""

    def __init__(self):
        self.rows = {
            (r.case_kind, r.step): r
            for r in TimeLimitRule.objects.filter(is_active=True, category="")
        }

    def warn_before(self, node) -> int:
        step = getattr(node, "step", None)
        deadline = getattr(step, "deadline", None)
        if isinstance(deadline, str):
            rule = self.rows.get((node.flow_class.case_kind, deadline))
            if rule is not None:
                return rule.warn_before
        return settings.SUPERVISION_DEFAULT_WARN_BEFORE_WD

    def severe_wd(self, case_kind: str) -> int:
        for spec in registry.supervision_specs():
            if spec.case_kind == case_kind:
                rule = self.rows.get((case_kind, spec.severe_step))
                if rule is not None and rule.unit == "wd":
                    return rule.amount
        return settings.SUPERVISION_DEFAULT_SEVERE_WD


def task_thresholds(task, *, now: dt.datetime, rules: Rules | None = None, workdays: WorkdayIndex | None = None) -> Thresholds:
    rules = rules or Rules()
    node = task.flow_task
    kind = getattr(getattr(node, "flow_class", None), "case_kind", "")
    return Thresholds.at(now=now, warn_before_wd=rules.warn_before(node), severe_wd=rules.severe_wd(kind), workdays=workdays)


def deadline_chips(tasks, *, now: dt.datetime | None = None) -> list:
    """Set `chip_state`, `wd_late` and `wd_left` on each case task (for templates/workflow/_deadline_chip.html),
    computed now, as the sweep would: a fixed number of queries for any number of tasks."""
    now = now or timezone.now()
    tasks = list(tasks)
    if not any(getattr(t, "deadline", None) for t in tasks):
        return tasks
    rules, today = Rules(), timezone.localtime(now).date()
    workdays = WorkdayIndex(today)
    provisional = provisional_years()
    cache: dict = {}
    for task in tasks:
        if not hasattr(task, "supervision_state"):
            continue
        task.provisional_deadline = bool(task.deadline) and timezone.localtime(task.deadline).year in provisional
        node = task.flow_task
        key = (rules.warn_before(node), rules.severe_wd(getattr(getattr(node, "flow_class", None), "case_kind", "")))
        if key not in cache:
            cache[key] = Thresholds.at(now=now, warn_before_wd=key[0], severe_wd=key[1], workdays=workdays)
        task.chip_state = cache[key].state(task.deadline)
        due = timezone.localtime(task.deadline).date()
        late = task.chip_state in (State.OVERDUE, State.SEVERELY_OVERDUE)
        task.wd_late = workdays.between(due, today) if late else 0
        task.wd_left = 0 if late else workdays.between(today, due)
    return tasks


def cases_in_state(task_model, state: str, *, now: dt.datetime | None = None) -> models.QuerySet:
    """Ids of the cases having an open task of `task_model` in supervision `state`
    *now* (the live ranges of workflow.inbox.StateRanges, as the chips), for a
    list's "期限状态" filter: `case_qs.filter(pk__in=...)`. Starts from the open
    tasks' partial index on the deadline; a fixed number of queries. Tasks the case app
    excludes from supervision (a suspended case: its clock is stopped) are
    only ever on time. An unknown state matches nothing."""
    from .inbox import StateRanges

    case_id = f"{task_model.case_field}_id"
    if state not in State.values:
        return task_model.objects.none().values(case_id)
    tasks = task_model.objects.filter(is_open=True)
    spec = registry.supervision_spec(task_model)
    if spec is not None and spec.exclude is not None:
        held = task_model.objects.filter(spec.exclude()).values("pk")
        if state == State.ON_TIME:
            tasks = tasks.filter(StateRanges(now or timezone.now()).q(task_model, state) | Q(pk__in=held))
            return tasks.order_by().values(case_id)
        tasks = tasks.exclude(pk__in=held)
    return tasks.filter(StateRanges(now or timezone.now()).q(task_model, state)).order_by().values(case_id)


# --- the sweep ---------------------------------------------------------------------------
TARGETS = (State.SEVERELY_OVERDUE, State.OVERDUE, State.WARNING, State.ON_TIME)
DEDUPE_NAMES = {"supervision_warning": "warning", "urging_notice": "urging", "supervision_breach": "breach"}


def supervision_sweep(*, now: dt.datetime) -> dict[str, int]:
    """Move every supervised open task to the state its deadline gives at `now`,
    set-wise, with reminders, urging notices and breach records for the tasks
    entering a state. Safe to run twice, or twice at once (on PostgreSQL one
    sweep at a time: a transaction-level advisory lock per task model). Returns
    counts per state entered (and `recomputed`: deadlines moved by a calendar change).

    Each state change is one UPDATE, which marks the tasks it moved
    (`state_changed_at = now`); each side effect is one INSERT ... SELECT over the
    marked tasks (workflow.bulk_sql): no task is loaded into Python, so the cost is
    a few passes over the tasks that changed, whatever their number (docs/performance.md)."""
    rules = Rules()
    today = timezone.localtime(now).date()
    workdays = WorkdayIndex(today)
    counts = {state: 0 for state in TARGETS}
    # Deadlines moved by a calendar correction first (case objects' and the tasks'
    # own), then the states, all in this one sweep.
    counts["recomputed"] = calendar_deadlines_recompute(now=now, only_if_changed=True)
    for spec in registry.supervision_specs():
        model = spec.task_model
        # The open tasks, from the case task table's own flag and its partial indexes
        # (no join to viewflow's task table, no closed task read).
        base = model.objects.filter(is_open=True)
        if spec.exclude is not None:
            base = base.exclude(spec.exclude())
        # A pending extension request (asked in time) holds back the urging notice
        # and the breach record until it is decided; a warning may still go out.
        held = model.objects.filter(spec.pending_extension()).values("pk") if spec.pending_extension is not None else None
        severe = rules.severe_wd(spec.case_kind)
        groups = _nodes_by_warn_before(model, rules)
        thresholds = {warn: Thresholds.at(now=now, warn_before_wd=warn, severe_wd=severe, workdays=workdays) for warn in groups}
        any_rule = next(iter(thresholds.values()))
        # One transaction (and, on PostgreSQL, one lock) per task model for all its states.
        with transaction.atomic():
            _sweep_lock(model)
            notices_from, urged = _last_pk(UrgingNotice), False
            for target in TARGETS:
                if target in (State.SEVERELY_OVERDUE, State.OVERDUE):
                    # The same range whatever the node's warning window: one statement.
                    selections = [any_rule.range_q(target)]
                else:
                    selections = [nodes & thresholds[warn].range_q(target) for warn, nodes in groups.items()]
                moved = 0
                for q in selections:
                    entering = base.filter(q)
                    # Not "!= target" for the way back to on time: the few tasks in the other
                    # states are found through the state's index, not the whole open table.
                    entering = entering.filter(supervision_state__in=[s for s in TARGETS if s != target]) \
                        if target == State.ON_TIME else entering.exclude(supervision_state=target)
                    if held is not None and target in (State.OVERDUE, State.SEVERELY_OVERDUE):
                        entering = entering.exclude(pk__in=held)
                    moved += entering.update(supervision_state=target, state_changed_at=now)
                if moved:
                    counts[target] += moved
                    urged = urged or target in (State.OVERDUE, State.SEVERELY_OVERDUE)
                    marked = model.objects.filter(is_open=True, supervision_state=target, state_changed_at=now)
                    _entered(model, target, marked, now=now, today=today, workdays=workdays)
            if urged:
                _notify_urged(model, now=now, notices_from=notices_from)
    return counts


def _nodes_by_warn_before(model, rules: Rules) -> dict[int, Q]:
    """The task model's nodes grouped by their warning window: {warn_before: Q(flow_task in nodes)},
    from the flow definitions (no query); a task at any other node has the default window."""
    from .flow.runtime import task_model_nodes

    groups: dict[int, list] = {}
    known = task_model_nodes(model)
    for node in known:
        groups.setdefault(rules.warn_before(node), []).append(node)
    result = {warn: Q(flow_task__in=nodes) for warn, nodes in groups.items()}
    default = settings.SUPERVISION_DEFAULT_WARN_BEFORE_WD
    other = ~Q(flow_task__in=known) if known else Q()
    result[default] = (result[default] | other) if default in result else other
    return result


def _last_pk(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _sweep_lock(model) -> None:
    """On PostgreSQL, one sweep of a task model at a time (until the transaction
    ends); SQLite writes one transaction at a time anyway."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"supervision_sweep:{model._meta.label_lower}"])


def _step_title(model) -> models.Expression:
    """The node's title (the step's name in the notices and events), in SQL: CASE flow_task ..."""
    from viewflow.workflow.fields import get_task_ref

    from .flow.runtime import task_model_nodes

    whens = [When(flow_task=get_task_ref(node), then=Value(str(node.task_title)[:128])) for node in task_model_nodes(model)]
    return Case(*whens, default=Value(""), output_field=models.CharField())


def _deadline_days(marked) -> list[dt.date]:
    """The local days of the marked tasks' deadlines, ascending (one query: their distinct
    deadlines, a handful in a normal sweep, as deadlines fall at the end of a day)."""
    return sorted({timezone.localtime(d).date() for d in marked.order_by().values_list("deadline", flat=True).distinct() if d})


def _by_day(days: list[dt.date], value, output_field) -> models.Expression:
    """CASE over the deadline's local day (`days`: every day that occurs, ascending):
    value(day) for a deadline on that day. Plain comparisons of the stored datetime
    against each day's end, so no time-zone function runs per row (on SQLite that is a
    Python call per row)."""
    whens = [When(deadline__lt=_start_of_day(day + dt.timedelta(days=1)), then=Value(value(day))) for day in days]
    return Case(*whens, default=Value(value(days[-1]) if days else None), output_field=output_field)


def _day_sql(days: list[dt.date]) -> models.Expression:
    """A deadline's local day as 'YYYY-MM-DD' (what _day gives in Python)."""
    return _by_day(days, lambda day: day.isoformat(), models.CharField())


def _late_sql(days: list[dt.date], *, today: dt.date, workdays: WorkdayIndex) -> models.Expression:
    """Working days between each task's deadline day and today (WorkdayIndex.between)."""
    return _by_day(days, lambda day: workdays.between(day, today), models.IntegerField())


def _entered(model, target: str, marked, *, now, today, workdays: WorkdayIndex) -> None:
    """Side effects for the tasks entering `target` (`marked`: the tasks the state change
    just moved), each one INSERT ... SELECT; one notification per person and kind, whose
    e-mails and text messages are queued when the sweep's transaction commits."""
    ct = ContentType.objects.get_for_model(model)
    case_model = model._meta.get_field(model.case_field).related_model
    case_ct = ContentType.objects.get_for_model(case_model, for_concrete_model=True)
    case_id = f"{model.case_field}_id"
    if target not in (State.WARNING, State.OVERDUE, State.SEVERELY_OVERDUE):
        return
    days = _deadline_days(marked)
    if target == State.WARNING:
        _notify_owers(model, marked, "supervision_warning", case_ct=case_ct, case_id=case_id, now=now, days=days)
        return
    step = _step_title(model)
    # Overdue (or straight to severely overdue): the urging notice for this deadline.
    # The department signs for it: a task nobody's department owes gets the notification only.
    notices_from = _last_pk(UrgingNotice)
    insert_select(UrgingNotice, marked.filter(department__isnull=False), {
        "task_type": Value(ct.pk), "task_id": F("pk"), "case_type": Value(case_ct.pk), "case_id": F(case_id),
        "department": F("department_id"), "step": step, "deadline": F("deadline"), "issued_at": Value(now),
    }, ignore_conflicts=True)
    # An event for each notice this sweep wrote (a concurrent sweep, with its own "now",
    # may have written some: the constraint keeps one, and only its writer records it),
    # copied from the notices just written (in key order, no join back to the tasks).
    new_notices = UrgingNotice.objects.filter(pk__gt=notices_from, task_type=ct, issued_at=now)
    _events(new_notices, EVENT_URGED, case_ct=case_ct, case_id="case_id", now=now, payload={
        "department": F("department_id"), "step": F("step"), "deadline": _day_sql(days),
    })
    # Their notification: once for both passes (overdue and straight to severely overdue), _notify_urged.
    if target != State.SEVERELY_OVERDUE:
        return
    late = _late_sql(days, today=today, workdays=workdays)
    records_from = _last_pk(BreachRecord)
    insert_select(BreachRecord, marked, {
        "task_type": Value(ct.pk), "task_id": F("pk"), "case_type": Value(case_ct.pk), "case_id": F(case_id),
        "department": F("department_id"), "step": step, "deadline": F("deadline"), "working_days_late": late,
        "created_at": Value(now),
    }, ignore_conflicts=True)
    new_records = BreachRecord.objects.filter(pk__gt=records_from, task_type=ct, created_at=now)
    recorded = marked.filter(pk__in=new_records.values("task_id"))
    _events(new_records, EVENT_BREACH, case_ct=case_ct, case_id="case_id", now=now, payload={
        "department": F("department_id"), "step": F("step"), "deadline": _day_sql(days), "working_days_late": F("working_days_late"),
    })
    # The supervisors (everywhere) and the leaders of each task's department.
    _notify_people(model, recorded, "supervision_breach", case_ct=case_ct, case_id=case_id, now=now, days=days,
                   role=Value(EngineRole.SUPERVISOR.value), department=Cast(Value(None), models.BigIntegerField()), late=late)
    _notify_people(model, recorded.filter(department__isnull=False), "supervision_breach", case_ct=case_ct, case_id=case_id,
                   now=now, days=days, role=Value(EngineRole.DEPT_LEADER.value), department=F("department_id"), late=late)


def _day(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d")


def _events(rows, type: str, *, case_ct, case_id: str, now, payload: dict) -> None:
    """One case event per row of `rows` (tasks, or the notices and records written for
    them), `case_id` naming the row's field holding the case's id."""
    insert_select(CaseEvent, rows, {
        "case_type": Value(case_ct.pk), "case_id": F(case_id), "type": Value(type), "from_state": Value(""),
        "to_state": Value(""), "payload": JSONObject(**payload), "created_at": Value(now),
    })


def _notify_people(model, marked, kind: str, *, case_ct, case_id: str, now, days: list[dt.date], role, department,
                   owner=None, late=None) -> None:
    """One notification of `kind` per person owing some of the marked tasks (see
    bulk_sql.per_person), however many: about one task it names the case and step; about
    several it says how many, names the first and links to the list (workflow.notifications).
    Stored once per person, kind and sweep (the dedupe key); e-mails and texts queued after commit."""
    from viewflow.workflow.fields import get_task_ref

    from .notifications import send_rows

    people = per_person(marked, role=role, department=department, owner=owner, membership_model=Membership,
                        least={"task": F("pk"), "date": _day_sql(days)}, most={"days": late} if late is not None else None)
    if not people:
        return
    first = {t["pk"]: t for t in model.objects.filter(pk__in={p["task"] for p in people}).values("pk", case_id, "flow_task", "department__name")}
    stamp = int(now.timestamp() * 1_000_000)
    rows = []
    for p in people:
        task = first[p["task"]]
        step = get_task_ref(task["flow_task"]) if task["flow_task"] else ""
        params = {"case_type": case_ct.pk, "case_id": task[case_id], "step": step, "date": p["date"], "count": p["count"]}
        if late is not None:
            params.update(days=p["days"], dept=task["department__name"] or "")
        rows.append(Notification(recipient_id=p["person"], kind=kind, params=params, created_at=now,
                                 dedupe_key=f"sv:{DEDUPE_NAMES[kind]}:{model._meta.label_lower}:{stamp}"))
    send_rows(rows, dedupe=True)


def _notify_urged(model, *, now, notices_from: int) -> None:
    """The urging notification, once per person for all the tasks this sweep urged (those
    entering overdue and those going straight to severely overdue): the tasks whose notice
    it wrote, and those no department signs for."""
    ct = ContentType.objects.get_for_model(model)
    case_model = model._meta.get_field(model.case_field).related_model
    case_ct = ContentType.objects.get_for_model(case_model, for_concrete_model=True)
    # The notice looked up per moved task (a correlated EXISTS on the notices' unique key):
    # `pk IN (new notices)` made SQLite plan a multi-index OR over the department index and
    # the notice list, 114 ms for 30,000 tasks where this takes 56 ms (docs/performance.md).
    new_notice = UrgingNotice.objects.filter(task_type=ct, task_id=OuterRef("pk"), issued_at=now, pk__gt=notices_from)
    urged = model.objects.filter(
        is_open=True, supervision_state__in=[State.OVERDUE, State.SEVERELY_OVERDUE], state_changed_at=now,
    ).filter(Q(department__isnull=True) | Q(Exists(new_notice)))
    _notify_owers(model, urged, "urging_notice", case_ct=case_ct, case_id=f"{model.case_field}_id", now=now,
                  days=_deadline_days(urged))


def _notify_owers(model, marked, kind: str, *, case_ct, case_id: str, now, days: list[dt.date]) -> None:
    """Whoever owes each task: its owner, or else the people holding its role in its
    department (anywhere, for a task without a department: an office's task)."""
    _notify_people(model, marked.exclude(owner__isnull=True, role=""), kind, case_ct=case_ct, case_id=case_id, now=now,
                   days=days, role=F("role"), department=F("department_id"), owner=F("owner_id"))


# --- deadlines moved by a calendar correction ----------------------------------------------
def calendar_deadlines_recompute(*, now: dt.datetime | None = None, only_if_changed: bool = False) -> int:
    """Recompute the calendar-based deadlines of every supervised model's open tasks
    (called after a calendar import; the sweep does the same at its start, so a day
    changed in the admin is caught within one sweep), and of the case objects'
    deadline fields (workflow.deadlines). States follow in the next sweep.

    With `only_if_changed` (the sweep), nothing is read unless the calendar changed
    since the last recompute (its stamp's token, workflow.workdays): a deadline
    computed since was computed on the calendar as it is. The version counts as done
    only once the change is SUPERVISION_RECOMPUTE_GRACE_SECONDS old (10 minutes): a
    service transaction that computed a deadline on the old calendar and committed
    after this sweep is caught by the next one."""
    from .deadlines import case_deadlines_recompute
    from .models import CalendarStamp
    from .workdays import calendar_cache

    now = now or timezone.now()
    stamp = CalendarStamp.objects.filter(pk=1).values_list("token", "recomputed_token", "changed_at").first()
    if only_if_changed and stamp is not None and stamp[0] == stamp[1]:
        return 0
    # This process's calendar may be up to a second older than the stamp read above: reload.
    loaded = calendar_cache.load().token
    moved = case_deadlines_recompute(now=now)
    for spec in registry.supervision_specs():
        base = spec.task_model.objects.filter(is_open=True)
        if spec.exclude is not None:
            base = base.exclude(spec.exclude())
        moved += recompute_calendar_deadlines(spec.task_model, base, now=now)
    grace = dt.timedelta(seconds=settings.SUPERVISION_RECOMPUTE_GRACE_SECONDS)
    if stamp is not None and loaded == stamp[0] and stamp[2] <= timezone.now() - grace:
        # Done for this version of the calendar (unless it changed meanwhile: then the next sweep runs it again).
        CalendarStamp.objects.filter(pk=1, token=loaded).update(recomputed_token=loaded)
    return moved


def recompute_calendar_deadlines(model, open_tasks, *, now: dt.datetime) -> int:
    """Recompute the calendar-dependent deadlines of open tasks (their basis: start
    date, amount, unit) on today's calendar, e.g. after an administrator declared a
    working day a holiday. Set-wise: one query for the distinct bases, then per basis
    whose deadline moved one INSERT ... SELECT of the events and one UPDATE. A deadline
    set by hand since (an approved extension, a suspension's end) differs from
    `deadline_computed` and stays. Returns how many tasks moved."""
    from .workdays import compute_deadline

    if not hasattr(model, "deadline_from"):
        return 0
    computed = open_tasks.filter(deadline_from__isnull=False, deadline_computed__isnull=False, deadline=models.F("deadline_computed"))
    bases = computed.values_list("deadline_from", "deadline_amount", "deadline_unit", "deadline_computed").distinct()
    case_model = model._meta.get_field(model.case_field).related_model
    case_ct = ContentType.objects.get_for_model(case_model, for_concrete_model=True)
    moved = 0
    for day, amount, unit, old in list(bases):
        try:
            new = compute_deadline(day, amount, unit)
        except CalendarYearMissing:
            continue  # never guess: a year deleted since keeps the deadline computed then
        if new == old:
            continue
        with transaction.atomic():
            _sweep_lock(model)
            same = computed.filter(deadline_from=day, deadline_amount=amount, deadline_unit=unit, deadline_computed=old)
            _events(same, EVENT_RECOMPUTED, case_ct=case_ct, case_id=f"{model.case_field}_id", now=now, payload={
                "department": F("department_id"), "step": _step_title(model), "from": Value(_day(old)), "to": Value(_day(new)),
            })
            moved += same.update(deadline=new, deadline_computed=new)
    return moved


# --- urging notices: who sees and signs them ---------------------------------------------
SIGNING_ROLES = (EngineRole.HANDLER, EngineRole.DEPT_LEADER)


def urging_notice_can_sign(*, user: User, notice: UrgingNotice) -> bool:
    """The department's handlers and leaders sign for its urging notices."""
    from .selectors import user_has_role

    return notice.department is not None and any(
        user_has_role(user=user, role=role, department=notice.department) for role in SIGNING_ROLES
    )


def urging_notices_for(*, user: User, unsigned_only: bool = True) -> models.QuerySet[UrgingNotice]:
    """The urging notices of the departments where the user handles or leads."""
    from .selectors import user_membership_pairs

    depts = {dept for role, dept in user_membership_pairs(user=user) if role in SIGNING_ROLES}
    qs = UrgingNotice.objects.filter(department_id__in=depts).select_related("department", "signed_by")
    if unsigned_only:
        qs = qs.filter(signed_at__isnull=True)
    return qs.order_by("deadline", "pk")


@transaction.atomic
def urging_notice_sign(*, actor: User, notice: UrgingNotice) -> UrgingNotice:
    """签收: the department acknowledges the urging notice (once)."""
    notice = UrgingNotice.objects.select_for_update(of=("self",)).select_related("department").get(pk=notice.pk)
    if not urging_notice_can_sign(user=actor, notice=notice):
        raise PermissionDenied(_("只有承办单位的人员可以签收本单位的催办单。"))
    if notice.signed_at is not None:
        raise ValidationError(_("该催办单已于%(at)s签收。") % {"at": timezone.localtime(notice.signed_at).strftime("%Y-%m-%d %H:%M")})
    notice.signed_by, notice.signed_at = actor, timezone.now()
    notice.save(update_fields=["signed_by", "signed_at"])
    CaseEvent.objects.create(
        case_type=notice.case_type, case_id=notice.case_id, type=EVENT_URGING_SIGNED, actor=actor,
        created_at=notice.signed_at, payload={"department": notice.department_id, "step": notice.step},
    )
    return notice
