"""Reads of the shared engine, always for a given user."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import CaseEvent, Department, Membership, Role, User


def user_roles(*, user: User) -> set[str]:
    if not user.is_authenticated:
        return set()
    roles = getattr(user, "_role_cache", None)
    if roles is None:
        roles = set(
            Membership.objects.filter(user=user, is_active=True, department__is_active=True)
            .values_list("role", flat=True)
        )
        if user.is_superuser:
            roles.add(Role.ADMIN.value)
        user._role_cache = roles
    return roles


def user_has_role(*, user: User, role: str, department: Department | None = None) -> bool:
    """Does the user hold `role` (in `department`, when given)? One membership row
    must carry both the role and the department: leading a department does not
    make one of its handlers."""
    if not user.is_authenticated:
        return False
    if department is None:
        return role in user_roles(user=user)
    return Membership.objects.filter(
        user=user, role=role, department=department, is_active=True, department__is_active=True
    ).exists()


def require_role(*, user: User, role: str, department: Department | None = None) -> None:
    """PermissionDenied (a 403 with the reason) unless user_has_role."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    if user_has_role(user=user, role=role, department=department):
        return
    if department is not None:
        raise PermissionDenied(_("您不是“%(dept)s”的%(role)s，无权办理。") % {"dept": department, "role": Role(role).label})
    raise PermissionDenied(_("此操作需要“%(role)s”角色。") % {"role": Role(role).label})


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


TASK_RELATED: list[str] = ["process"]


def register_task_related(*paths: str) -> None:
    """Apps name what their task rows show (e.g. the case), loaded with the list in one query."""
    for path in paths:
        if path not in TASK_RELATED:
            TASK_RELATED.append(path)


def inbox_tasks(*, user: User):
    """The user's assigned tasks, built on viewflow's task queries."""
    from viewflow.workflow.models import Task

    return Task.objects.inbox(flow_classes(), user).select_related(*TASK_RELATED).order_by("-created")


TASK_SCOPES: list = []


def register_task_scope(fn) -> None:
    """Apps narrow viewflow's permission-wide queue to the user's department: fn(qs, user) -> qs."""
    if fn not in TASK_SCOPES:
        TASK_SCOPES.append(fn)


def queue_tasks(*, user: User):
    """Unassigned tasks the user may take, scoped by each app's rule."""
    from viewflow.workflow.models import Task

    qs = Task.objects.queue(flow_classes(), user)
    for scope in TASK_SCOPES:
        qs = scope(qs, user)
    return qs.select_related(*TASK_RELATED).order_by("-created")


# --- timeline -------------------------------------------------------------------
@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # "event" or "history"
    title: str
    actor: str = ""
    from_state: str = ""
    to_state: str = ""
    details: dict = field(default_factory=dict)


def case_timeline(*, case: models.Model) -> list[TimelineEntry]:
    """Merge the case's event log and its simple-history rows, oldest first.

    History rows that an event already explains (same time to the second,
    same actor) are still shown: they tell which fields changed.
    """
    ct = ContentType.objects.get_for_model(case, for_concrete_model=True)
    entries: list[TimelineEntry] = []
    for ev in CaseEvent.objects.filter(case_type=ct, case_id=case.pk).select_related("actor"):
        entries.append(
            TimelineEntry(
                at=ev.created_at, kind="event", title=ev.type, actor=str(ev.actor or ""),
                from_state=ev.from_state, to_state=ev.to_state, details=ev.payload,
            )
        )
    history = getattr(case, "history", None)
    if history is not None:
        records = list(history.all().select_related("history_user").order_by("history_date", "history_id"))
        previous = None
        for record in records:
            changes = {}
            if previous is not None:
                delta = record.diff_against(previous)
                changes = {c.field: {"old": _plain(c.old), "new": _plain(c.new)} for c in delta.changes}
            title = {"+": "created", "~": "changed", "-": "deleted"}.get(record.history_type, "changed")
            if previous is None or changes or record.history_type != "~":
                entries.append(
                    TimelineEntry(
                        at=record.history_date, kind="history", title=title,
                        actor=str(record.history_user or ""), details=changes,
                    )
                )
            previous = record
    entries.sort(key=lambda e: (e.at, 0 if e.kind == "event" else 1))
    return entries


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def notification_list(*, user: User, unread_only: bool = False):
    from .models import Notification

    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at")


def notification_unread_count(*, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return notification_list(user=user, unread_only=True).count()
