"""The one inbox: every open task a user must act on, of every case type, in
one list sorted by deadline (issue 7), and the counts the navigation shows.

"Must act on" is the engine's task scope (workflow.selectors.task_scope_q):
the user's own tasks, and those routed to a role they hold in their
department (or anywhere, for an office role). A task needs no claim before
someone acts: acting takes it (workflow.flow.runtime.flow_step). Claiming is
offered for unclaimed tasks of a shared queue so colleagues see who is on it
(`workflow.services.task_claim`).

States are decided as everywhere else (workflow.supervision.Thresholds): the
state filter turns each node's thresholds into deadline ranges, so the list,
its chips, the counts and the sweep never disagree.

Cost: one query per registered case type for the rows, one per case type for
the counts, the rules (one query) and the in-memory calendar: fixed whatever
the number of tasks (tests/workflow/test_inbox.py counts them).

How (issue 11): the open tasks are read through the case task's `is_open` flag
and its partial index (role, department, deadline) WHERE is_open
(workflow.selectors.open_scope_q): a user's share is a few index searches,
covering the deadline. The page query takes the first `limit` ids in deadline
order from the index alone, then fetches and joins only those rows; its total
is an uncorrelated count over the same index searches, in the same query.
tests/workflow/test_inbox_index.py checks the plans.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, Subquery, Value
from django.utils import timezone

from . import registry
from .models import SupervisionState
from .flow.runtime import task_model_nodes
from .selectors import open_scope_q

LIMIT = 100
STATES = (SupervisionState.ON_TIME, SupervisionState.WARNING, SupervisionState.OVERDUE, SupervisionState.SEVERELY_OVERDUE)


@dataclass(frozen=True)
class InboxFilters:
    kind: str = ""  # a task model's label (registry.task_models), "" for all
    step: str = ""  # a node's stored name ("<app>/flows.<Flow>.<node>")
    state: str = ""  # a SupervisionState value


def task_kinds() -> list[tuple[str, object]]:
    """(value, label) of every registered case type, for the filter."""
    return [(model._meta.label_lower, model._meta.verbose_name) for model in registry.task_models()]


def step_choices() -> list[tuple[str, str, str]]:
    """(value, label, kind) of every step a task can be at, for the filter."""
    from viewflow.workflow.fields import get_task_ref

    from .flow.runtime import node_title

    result, seen = [], set()
    for model in registry.task_models():
        for node in task_model_nodes(model):
            value = get_task_ref(node)
            if value not in seen:
                seen.add(value)
                result.append((value, node_title(node), model._meta.label_lower))
    return result


class StateRanges:
    """Per node, the deadline range of each state now (the same thresholds as the chips)."""

    def __init__(self, now: dt.datetime):
        from .supervision import Rules, Thresholds, WorkdayIndex

        self.now = now
        self.rules = Rules()
        self.workdays = WorkdayIndex(timezone.localtime(now).date())
        self._thresholds: dict = {}
        self._Thresholds = Thresholds

    def _for(self, node):
        kind = getattr(node.flow_class, "case_kind", "")
        key = (self.rules.warn_before(node), self.rules.severe_wd(kind))
        if key not in self._thresholds:
            self._thresholds[key] = self._Thresholds.at(
                now=self.now, warn_before_wd=key[0], severe_wd=key[1], workdays=self.workdays
            )
        return key, self._thresholds[key]

    def _groups(self, model) -> list:
        groups: dict = {}
        for node in task_model_nodes(model):
            key, thresholds = self._for(node)
            groups.setdefault(key, (thresholds, []))[1].append(node)
        return list(groups.values())

    def q(self, model, state: str) -> Q:
        """Tasks of `model` in `state`: one OR branch per distinct rule, over its nodes."""
        q = Q(pk__in=[])
        for thresholds, nodes in self._groups(model):
            q |= Q(flow_task__in=nodes) & thresholds.range_q(state)
        return q

    def open_q(self, model, state: str) -> Q:
        """q() for the inbox's open tasks (each at one of the model's human nodes:
        only those have a role or an owner), without joining viewflow's task
        table for every row: the node is named only where the nodes' ranges
        differ (the warning window depends on the step's rule; the overdue ranges
        only on the case kind), and then by a correlated lookup that the database
        makes for the rows inside the deadline range only."""
        from django.db.models import Exists, OuterRef
        from viewflow.workflow.models import Task

        groups = self._groups(model)
        ranges = [(thresholds.range_q(state), nodes) for thresholds, nodes in groups]
        if not ranges:
            return Q(pk__in=[])
        if all(r == ranges[0][0] for r, _nodes in ranges):
            return ranges[0][0]
        q = Q(pk__in=[])
        for r, nodes in ranges:
            q |= r & Exists(Task.objects.order_by().filter(pk=OuterRef("pk"), flow_task__in=nodes))
        if state == SupervisionState.ON_TIME:
            # The groups' on-time ranges differ only inside the widest warning window: a
            # deadline after it (or none) is on time at every node, so the node is looked up
            # only for the tasks due inside the window (the dashboard's open-task count reads
            # the others from the index alone).
            bounds = [t.warn_until for t, _nodes in groups if t.warn_until is not None]
            until = max([self.now, *bounds])
            q = Q(deadline__isnull=True) | Q(deadline__gte=until) | (Q(deadline__gte=self.now, deadline__lt=until) & q)
        return q


def _scoped(model, user):
    """The open tasks of `model` the user must act on (workflow.selectors.open_scope_q)."""
    return model.objects.order_by().filter(open_scope_q(user=user))


def _count(qs):
    """`SELECT COUNT(*)` of qs, as a subquery (evaluated once: it is not correlated)."""
    return Subquery(qs.order_by().values(one=Value(1)).annotate(n=Count("pk")).values("n"))


def inbox(*, user, filters: InboxFilters | None = None, now: dt.datetime | None = None, limit: int = LIMIT) -> dict:
    """The user's inbox: {"tasks": up to `limit` case tasks sorted by deadline
    (no deadline last), each with its chip (chip_state, wd_late, wd_left),
    "total": how many match the filters}."""
    from .supervision import deadline_chips

    filters = filters or InboxFilters()
    now = now or timezone.now()
    states = StateRanges(now) if filters.state in STATES else None
    rows, total = [], 0
    for model in registry.task_models():
        if filters.kind and filters.kind != model._meta.label_lower:
            continue
        qs = _scoped(model, user)
        if filters.step:
            qs = qs.filter(flow_task=filters.step)
        if states is not None:
            qs = qs.filter(states.open_q(model, filters.state))
        related = (model.case_field, "department", "owner", *getattr(model, "inbox_related", ()))
        order = (F("deadline").asc(nulls_last=True), "pk")
        page = qs.order_by(*order).values("pk")[:limit]
        found = list(
            model.objects.filter(pk__in=page)
            .select_related(*related)
            .annotate(matching=_count(qs))
            .order_by(*order)
        )
        total += found[0].matching if found else 0
        for task in found:
            task.inbox_kind = model._meta.label_lower
            task.releasable = has_shared_queue(task)
        rows.extend(found)
    far = timezone.make_aware(dt.datetime.max - dt.timedelta(days=2))
    rows.sort(key=lambda t: (t.deadline or far, t.pk))
    rows = deadline_chips(rows[:limit], now=now)
    return {"tasks": rows, "total": total}


def has_shared_queue(task) -> bool:
    """A task routed to a department's or an office's role can go back to its
    queue; a person's own task (a member's rating, a co-signer's confirmation) cannot."""
    spec = registry.role(task.role) if task.role else None
    return spec is not None and spec.scope in (registry.RoleScope.DEPARTMENT, registry.RoleScope.OFFICE)


NAV_COUNTS_SECONDS = 30


def nav_counts(*, user) -> dict:
    """The navigation's counts, kept for NAV_COUNTS_SECONDS per person (Django's cache:
    per process by default, Redis in production): the header is on every page, and at
    100,000 cases counting an office's thousands of open tasks costs tens of
    milliseconds. The inbox itself is always counted live; a count may lag by up to
    that many seconds after someone else's action (the user's own claims clear it)."""
    from django.core.cache import cache

    return cache.get_or_set(_nav_key(user.pk), lambda: inbox_counts(user=user), NAV_COUNTS_SECONDS)


def nav_counts_forget(*, user) -> None:
    from django.core.cache import cache

    cache.delete(_nav_key(user.pk))


def _nav_key(user_id: int) -> str:
    return f"workflow:nav-counts:{user_id}"


def inbox_counts(*, user, now: dt.datetime | None = None) -> dict:
    """For the navigation: open tasks the user must act on, how many are in
    warning, and how many are overdue (severely overdue included)."""
    now = now or timezone.now()
    states = StateRanges(now)
    counts = {"open": 0, "warning": 0, "overdue": 0}
    for model in registry.task_models():
        overdue = states.open_q(model, SupervisionState.OVERDUE) | states.open_q(model, SupervisionState.SEVERELY_OVERDUE)
        row = _scoped(model, user).aggregate(
            open=Count("pk"),
            warning=Count("pk", filter=states.open_q(model, SupervisionState.WARNING)),
            overdue=Count("pk", filter=overdue),
        )
        for key in counts:
            counts[key] += row[key] or 0
    return counts
