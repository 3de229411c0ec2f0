"""Reads of the shared engine, always for a given user."""
from __future__ import annotations

import functools

from django.apps import apps
from django.db import models
from django.db.models import Q

from . import registry
from .models import Department, Membership, User
from .roles import EngineRole


def user_membership_pairs(*, user: User) -> frozenset[tuple[str, int]]:
    """The (role, department id) pairs of the user's active memberships in
    active departments: one query per user object (a request's user), however
    many checks a page makes. Services that change memberships forget it
    (workflow.services.user_forget_roles)."""
    if not user.is_authenticated:
        return frozenset()
    pairs = getattr(user, "_membership_cache", None)
    if pairs is None:
        pairs = frozenset(
            Membership.objects.filter(user=user, is_active=True, department__is_active=True).values_list("role", "department_id")
        )
        user._membership_cache = pairs
    return pairs


def user_roles(*, user: User) -> set[str]:
    if not user.is_authenticated:
        return set()
    roles = {role for role, _department in user_membership_pairs(user=user)}
    if user.is_superuser:
        roles.add(EngineRole.ADMIN.value)
    return roles


def user_has_role(*, user: User, role: str, department: Department | None = None) -> bool:
    """Does the user hold `role` (in `department`, when given)? One membership row
    must carry both the role and the department: leading a department does not
    make one of its handlers."""
    if not user.is_authenticated:
        return False
    if department is None:
        return role in user_roles(user=user)
    return (role, department.pk) in user_membership_pairs(user=user) and department.is_active


def require_role(*, user: User, role: str, department: Department | None = None) -> None:
    """PermissionDenied (a 403 with the reason) unless user_has_role."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    if user_has_role(user=user, role=role, department=department):
        return
    if department is not None:
        raise PermissionDenied(_("您不是“%(dept)s”的%(role)s，无权办理。") % {"dept": department, "role": registry.role_label(role)})
    raise PermissionDenied(_("此操作需要“%(role)s”角色。") % {"role": registry.role_label(role)})


def user_departments(*, user: User, role: str | None = None) -> models.QuerySet[Department]:
    # One membership must match user, role and activity together (a single
    # filter() call), or a leader would pass as a handler of the same department.
    memberships = Membership.objects.filter(user=user, is_active=True)
    if role:
        memberships = memberships.filter(role=role)
    return Department.objects.filter(is_active=True, pk__in=memberships.values("department_id"))


def user_memberships(*, user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user, is_active=True).select_related("department").order_by("department__code")
    )


def department_list(*, user: User) -> models.QuerySet[Department]:
    """Departments are not secret inside the platform: every signed-in user
    may see the directory (names, kinds, contact phone) to route cases."""
    return Department.objects.filter(is_active=True).select_related("parent").order_by("kind", "code")


@functools.cache
def flow_classes() -> tuple:
    """Every viewflow Flow class defined in the apps' flows.py modules.

    Found once per process: every inbox and queue asks for them, and a failed
    import of an app without flows.py is not cached by Python."""
    from viewflow.workflow.flow import Flow

    result = []
    for app_config in apps.get_app_configs():
        module = getattr(app_config.module, "flows", None)
        if module is None:
            try:
                module = __import__(f"{app_config.name}.flows", fromlist=["*"])
            except ModuleNotFoundError:
                continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Flow) and value is not Flow and value.__module__ == module.__name__:
                result.append(value)
    return tuple(result)


# --- tasks: the inbox and the queue ----------------------------------------------
def task_scope_q(*, user: User, prefix: str = "") -> Q:
    """Open case tasks the user may act on: their own, and those routed to a
    role they hold, as the role's scope says (workflow.registry.RoleScope):
    a department role acts on its department's tasks whoever took them, an
    office role on every task of that role, a personal role on the unassigned
    tasks of its department.

    `prefix` names the case task from a query on viewflow's Task (e.g.
    "<casetask model>__"): the conditions then sit on the row already joined,
    checked per candidate task, instead of an `id IN (subquery)` that reads
    every case task ever created (issue 11)."""
    q = Q(owner=user)
    for role, department_id in sorted(user_membership_pairs(user=user)):
        spec = registry.role(role)
        scope = spec.scope if spec else registry.RoleScope.PERSONAL
        if scope == registry.RoleScope.OFFICE:
            q |= Q(**{f"{prefix}role": role})
        elif scope == registry.RoleScope.DEPARTMENT:
            q |= Q(**{f"{prefix}role": role, f"{prefix}department_id": department_id})
        else:
            q |= Q(owner__isnull=True, **{f"{prefix}role": role, f"{prefix}department_id": department_id})
    return q


def open_scope_q(*, user: User) -> Q:
    """task_scope_q for the open case tasks (`is_open`), written on the case
    task's own columns so that each branch is a search of the partial index
    `<task>_open_idx` (role, department, deadline) WHERE is_open, or, for the
    user's own tasks, of viewflow's (owner, status) index: the database reads
    the user's share of the open tasks, not every open task of every flow, and
    joins nothing to decide the scope (issue 11). The same rows as viewflow's
    new or assigned tasks filtered by `task_scope_q(user=user)`
    (tests/workflow/test_inbox_index.py)."""
    from django.db.models import Exists, OuterRef
    from viewflow.workflow.models import Task

    from .models.tasks import OPEN_STATUSES

    is_open = Q(is_open=True)
    q = is_open & Q(pk__in=Task.objects.order_by().filter(owner=user, status__in=OPEN_STATUSES).values("pk"))
    for role, department_id in sorted(user_membership_pairs(user=user)):
        spec = registry.role(role)
        scope = spec.scope if spec else registry.RoleScope.PERSONAL
        if scope == registry.RoleScope.OFFICE:
            q |= is_open & Q(role=role)
        elif scope == registry.RoleScope.DEPARTMENT:
            q |= is_open & Q(role=role, department_id=department_id)
        else:
            unowned = Exists(Task.objects.order_by().filter(pk=OuterRef("pk"), owner__isnull=True))
            q |= is_open & Q(role=role, department_id=department_id) & unowned
    return q


def open_tasks(*, user: User, task_model, case=None) -> models.QuerySet:
    """Open tasks (new or assigned) of one case type the user may act on, earliest deadline first."""
    from viewflow.workflow.status import STATUS

    if case is not None:
        # One case's tasks: its own index is the short way.
        qs = task_model.objects.filter(**{task_model.case_field: case}, status__in=[STATUS.NEW, STATUS.ASSIGNED])
        qs = qs.filter(task_scope_q(user=user))
    else:
        # Every case's: the user's share of the open tasks, from the open index (as the inbox).
        qs = task_model.objects.filter(open_scope_q(user=user))
    return qs.select_related(task_model.case_field, "department", "process").order_by("deadline", "pk")


def overdue_tasks(*, task_model, now=None, setwise: bool = False) -> models.QuerySet:
    """Open tasks of one case type past their deadline: what "overdue" means everywhere.

    `setwise` for "which cases are overdue" over a whole list: the open tasks'
    own flag and its partial index on the deadline (CaseTask.is_open: only the
    open tasks past their deadline are read). Without it, the query suits one
    case's tasks (filtered by the case, or correlated per row of a page)."""
    from django.utils import timezone

    from .flow.runtime import OPEN_TASK

    qs = task_model.objects.filter(is_open=True) if setwise else task_model.objects.filter(status__in=OPEN_TASK)
    return qs.filter(deadline__lt=now or timezone.now())


def _scope_queue(qs, user: User):
    """viewflow's queue holds every task of a permission: keep, of each case
    type, the tasks of the user's own role and department. The queue is
    already restricted to new tasks; the scope is checked on each one's
    joined case task row (no subquery over every task ever closed)."""
    for model in registry.task_models():
        name = model._meta.model_name
        qs = qs.filter(Q(**{f"{name}__isnull": True}) | task_scope_q(user=user, prefix=f"{name}__"))
    return qs


def inbox_tasks(*, user: User):
    """The user's assigned tasks, built on viewflow's task queries."""
    from viewflow.workflow.models import Task

    return Task.objects.inbox(flow_classes(), user).order_by("-created")


def queue_tasks(*, user: User):
    """Unassigned tasks the user may take, scoped by role and department."""
    from viewflow.workflow.models import Task

    return _scope_queue(Task.objects.queue(flow_classes(), user), user).order_by("-created")


def case_tasks(tasks) -> list:
    """The case task rows (department, deadline, case) behind viewflow task
    rows, in the same order: one query per registered case type, whatever
    the number of rows."""
    tasks = list(tasks)
    ids = [t.pk for t in tasks]
    found = {}
    for model in registry.task_models():
        for row in model.objects.filter(pk__in=ids).select_related(model.case_field, "process", "department"):
            found[row.pk] = row
    return [found.get(t.pk, t) for t in tasks]


def notification_list(*, user: User, unread_only: bool = False):
    from .models import Notification

    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at")


def notification_get(*, user: User, pk: int):
    """One of the user's own notifications; someone else's does not exist for them (Http404)."""
    from django.http import Http404

    notification = notification_list(user=user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification


def notification_unread_count(*, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return notification_list(user=user, unread_only=True).count()


def missing_time_limit_rules(*, user: User) -> list[dict]:
    """Deadline steps the flows declare (workflow.flow.runtime.human) that have
    no active time-limit rule: each would refuse the action that creates its
    task. Shown to administrators on their home page; nobody else sees it."""
    from .flow.runtime import human_nodes
    from .models import TimeLimitRule
    from .roles import EngineRole

    if not (user.is_authenticated and (user.is_superuser or EngineRole.ADMIN in user_roles(user=user))):
        return []
    declared = {}
    for flow_class in flow_classes():
        for node in human_nodes(flow_class):
            if isinstance(node.step.deadline, str):
                declared.setdefault((flow_class.case_kind, node.step.deadline), str(node.task_title))
    active = set(
        TimeLimitRule.objects.filter(is_active=True, category="").values_list("case_kind", "step")
    )
    return [
        {"case_kind": kind, "step": step, "title": title}
        for (kind, step), title in sorted(declared.items()) if (kind, step) not in active
    ]

# --- the audit trail -------------------------------------------------------------------------------
def audit_event_list(*, user: User, filters: dict | None = None):
    """Rows of the audit trail for the audit administrator (workflow.view_securityevent), newest
    first: a time range (`since`, `until`: aware datetimes, until excluded), a `kind`, a
    `username` (who acted or signed in, or the account acted upon) and a `case` (its number as
    written, or its id). Nothing for anyone else. Each filter is served by an index."""
    from .models import SecurityEvent

    qs = SecurityEvent.objects.all()
    if not (user.is_active and user.has_perm("workflow.view_securityevent")):
        return qs.none()
    filters = filters or {}
    if filters.get("since"):
        qs = qs.filter(created_at__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(created_at__lt=filters["until"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("username"):
        name = filters["username"]
        qs = qs.filter(Q(username=name) | Q(object_type=User._meta.label_lower, object_repr=name))
    if filters.get("case"):
        case = filters["case"]
        from .events import registered_case_models

        case_types = registered_case_models()
        by_id = Q(object_type__in=case_types, object_id=case)
        qs = qs.filter(Q(object_type__in=case_types, object_repr=case) | by_id)
    return qs.order_by("-sequence")
