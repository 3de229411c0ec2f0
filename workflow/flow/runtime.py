"""How services drive viewflow, for every case type.

A human node is declared once, with `human(...)`: its title, the role that
does it, where its department comes from, its deadline (a time-limit step or
a callable), and the page and API actions that complete it. The generic
`task_created` hook reads that declaration to route and time every new task,
before the task is first saved (HumanView: one INSERT, no re-save).

A service completes a task with `flow_step(task, actor)`: it locks the
process, takes the task for the actor, lets the service do the domain work,
and completes the task (the flow moves on) in one transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow import this
from django.db import connection, transaction
from viewflow.workflow import flow
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.lock import SelectForUpdateLock
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.status import STATUS

from ..rules import RuleMissing
from ..workdays import CalendarYearMissing

logger = logging.getLogger(__name__)

OPEN_TASK = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


@dataclass(frozen=True)
class HumanStep:
    """What a human node means, declared once (read by task_created, the pages,
    the API and the flow test)."""

    role: str
    deadline: object  # a time-limit step of the case kind, this.<callback>(activation) -> datetime, or None
    department: object  # this.<callback>(activation) -> Department | None, or None
    page_action: str  # URL name of the page that completes it
    api_action: str  # URL name of the API action where it is done (takes one id)
    action_object: str = "case"  # whose id that URL takes: "case", or a key of task.data (e.g. "assignment_id")


def handled_by_services(request, **kwargs):
    """flow.View needs a view; our pages and API complete the tasks through services."""
    raise Http404


class HumanActivation(ViewActivation):
    """viewflow's ViewActivation.create with the node's onCreate hook (our
    task_created) run *before* the task's first save: its case, role,
    department and deadline go into the one INSERT (issue 11: the hook used to
    re-save every new task). Otherwise the same steps as viewflow 2.4's."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        task = flow_task.flow_class.task_class(process=prev_activation.process, flow_task=flow_task, token=token)
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        owner_permission = flow_task.calc_owner_permission(activation)
        if owner_permission:
            task.owner_permission = owner_permission
            task.owner_permission_obj = flow_task.calc_owner_permission_obj(activation)
        owner = flow_task.calc_owner(activation)
        if owner:
            task.owner = owner
            task.status = STATUS.ASSIGNED
        if flow_task._on_create is not None:
            flow_task._on_create(activation)
        task.save()
        task.previous.add(prev_activation.task)
        return activation


class HumanView(flow.View):
    """flow.View whose tasks are routed and timed before their first save."""

    activation_class = HumanActivation


def human(title, *, role: str, deadline, page: str, api: str, action_object: str = "case", department=None, permission=None, assign=None):
    """A human task completed through a service. `deadline=None` must be a
    deliberate choice (e.g. the proposer's own submit step)."""
    node = HumanView(handled_by_services).Annotation(title=title)
    if permission:
        node = node.Permission(permission)
    if assign:
        node = node.Assign(assign)
    node.step = HumanStep(
        role=role, deadline=deadline, department=department, page_action=page, api_action=api, action_object=action_object,
    )
    return node.onCreate(this.task_created)


def human_nodes(flow_class) -> list:
    return [node for node in flow_class.instance.nodes() if getattr(node, "step", None) is not None]


def task_model_nodes(model) -> list:
    """The human nodes of the flows whose tasks are rows of the case task model `model`."""
    from ..selectors import flow_classes

    return [node for flow_class in flow_classes() if getattr(flow_class, "task_class", None) is model
            for node in human_nodes(flow_class)]


def node_title(node) -> str:
    return str(node.task_title) if node is not None else ""


def step_deadline(*, case_kind: str, step: str, start: dt.datetime, category: str = "") -> dt.datetime:
    """A deadline from the rules table. A missing rule or calendar year refuses
    the action with a message for the user and an error in the log for the
    administrators: a task is never created without its deadline."""
    return _step_rule_deadline(case_kind=case_kind, step=step, start=start, category=category)[1]


def _step_rule_deadline(*, case_kind: str, step: str, start: dt.datetime, category: str = ""):
    """(rule, deadline), refusing as step_deadline says."""
    from ..rules import time_limit
    from ..workdays import compute_deadline

    try:
        rule = time_limit(case_kind=case_kind, step=step, category=category)
        return rule, compute_deadline(start, rule.amount, rule.unit)
    except RuleMissing as exc:
        logger.error("time-limit rule missing: %s/%s", case_kind, step)
        raise ValidationError(str(exc))
    except CalendarYearMissing as exc:
        logger.error("working-day calendar missing for %s (needed by %s/%s)", exc.year, case_kind, step)
        raise ValidationError(str(exc))


class CaseLock(SelectForUpdateLock):
    """viewflow's select-for-update lock of the process row, except on SQLite:
    there FOR UPDATE does not exist (Django drops it and the query locks
    nothing) while every transaction takes the database's write lock at BEGIN
    (IMMEDIATE, config/settings/base.py sqlite_options), so the lock is the
    transaction alone, without the pointless SELECT (issue 11)."""

    @contextmanager
    def __call__(self, flow_class, process_pk):
        if connection.vendor == "sqlite":
            with transaction.atomic():
                yield
            return
        with super().__call__(flow_class, process_pk):
            yield


case_lock = CaseLock()


class CaseFlowMixin:
    """Mixed into a case type's Flow: names its time-limit case kind and the
    process's field holding the case, and routes every new human task."""

    case_kind = ""
    case_field = ""
    lock_impl = case_lock

    def task_created(self, activation):
        task_created(
            activation=activation, case_kind=self.case_kind, case_field=self.case_field,
            case=getattr(activation.process, self.case_field),
        )


def task_created(*, activation, case_kind: str, case_field: str, case) -> None:
    """The onCreate hook of every human node: link the task to its case, and
    set role, department and deadline from the node's declaration. Runs before
    the task's first save (HumanActivation.create), so it saves nothing."""
    task = activation.task
    step: HumanStep = activation.flow_task.step
    setattr(task, case_field, case)
    task.role = str(step.role)
    flow_instance = activation.flow_class.instance
    task.department = this.resolve(flow_instance, step.department)(activation) if step.department else None
    if isinstance(step.deadline, str):
        start = timezone.now()
        rule, task.deadline = _step_rule_deadline(case_kind=case_kind, step=step.deadline, start=start)
        _deadline_basis(task, rule=rule, start=start)
    elif step.deadline is not None:
        task.deadline = this.resolve(flow_instance, step.deadline)(activation)
    else:
        task.deadline = None


def _deadline_basis(task, *, rule, start: dt.datetime) -> list[str]:
    """Remember what a calendar-dependent deadline was computed from, so that the
    sweep can recompute it when an administrator corrects the calendar."""
    from ..models import TimeUnit

    if rule.unit == TimeUnit.HOURS or not hasattr(task, "deadline_from"):
        return []
    task.deadline_from = timezone.localtime(start).date()
    task.deadline_amount, task.deadline_unit, task.deadline_computed = rule.amount, rule.unit, task.deadline
    return ["deadline_from", "deadline_amount", "deadline_unit", "deadline_computed"]


def open_task(*, task_model, case_field: str, case, nodes, **data):
    """The open task of `case` at one of `nodes` whose data matches `data`;
    a clear refusal (with the step's title) when there is none."""
    nodes = [nodes] if not isinstance(nodes, (list, tuple)) else list(nodes)
    tasks = task_model.objects.filter(**{case_field: case}, flow_task__in=nodes, status__in=OPEN_TASK).order_by("pk")
    for task in tasks:
        if all((task.data or {}).get(k) == v for k, v in data.items()):
            return task
    raise ValidationError(
        _("当前没有待办理的“%(step)s”环节，可能已被他人处理或流程已变化，请刷新后重试。")
        % {"step": "/".join(node_title(n) for n in nodes)}
    )


@contextmanager
def flow_step(task, actor, *, busy_message: str | None = None, on_behalf: bool = False):
    """Lock the process, take the task for the actor, let the caller do the
    domain work, then complete the task (the flow moves on): one transaction.

    The actor must have the task in their scope (workflow.selectors.task_scope_q:
    their own, or their role's in their department), whatever the calling
    service checked: a forgotten role check cannot let anyone complete any
    task. `on_behalf=True` is for the few acts that complete someone else's
    task by design (the proposer withdrawing an invitation, the office
    recording a rating never given); the service must check that right itself.

    On PostgreSQL the process row is locked with FOR UPDATE NOWAIT (viewflow
    retries a few times); when someone else keeps it busy the user is asked to
    retry instead of getting a server error."""
    if not on_behalf:
        from ..selectors import task_scope_q

        if not type(task).objects.filter(pk=task.pk).filter(task_scope_q(user=actor)).exists():
            raise PermissionDenied(_("“%(step)s”不是您（或您所在单位、角色）的任务。") % {"step": node_title(task.flow_task)})
    try:
        with _locked_activation(task, actor) as activation:
            yield activation
    except FlowLockFailed:
        raise ValidationError(busy_message or _("该案件正由他人同时办理，请稍后刷新重试。"))


@contextmanager
def _locked_activation(task, actor):
    with task.activation() as activation:
        current = activation.task
        if current.status not in (STATUS.NEW, STATUS.ASSIGNED):
            raise ValidationError(_("该任务已被处理，请刷新页面。"))
        if current.status == STATUS.NEW:
            activation.assign(actor)
        elif current.owner_id != actor.pk:
            # Department tasks belong to the department: any of its handlers may act.
            activation.reassign(actor)
        activation.start(None)
        yield activation
        activation.execute()


def carry(activation) -> dict:
    """Branch data (e.g. an assignment id) is not inherited by the next task: pass it on."""
    return {k: v for k, v in (activation.task.data or {}).items() if not k.startswith("_")}
