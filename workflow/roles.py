"""Roles as Django groups.

The engine's own roles are the ones every case type shares: the people of a
department who handle cases and sign them off, supervisors, administrators.
Case apps register theirs (committee members, the proposal office,
dispatchers, ...) in workflow.registry, with the default permissions of each
role's group. Each registered role is a group named by its code. A person's
groups are derived from their active memberships (services.user_sync_groups).
The default permissions are added to a group after every migrate; permissions
an administrator adds in the admin are kept (nothing is removed).

三权分立 (separation of the three administrator duties, GB/T 22239 level 3):
the system administrator (`admin`), the security administrator
(`security_admin`) and the audit administrator (`audit_admin`) are
non-superuser staff whose groups carry the model permissions of their duty
only (ADMIN_PERMISSIONS below; case apps add their rule tables to the system
administrator's). Nobody holds two of them (services.membership_check).
Superusers are for installation only; their sign-ins and admin changes are
security events.
"""
from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import registry
from .registry import DirectoryScope, RoleScope


class EngineRole(models.TextChoices):
    HANDLER = "handler", _("承办人员")
    DEPT_LEADER = "dept_leader", _("单位领导")
    SUPERVISOR = "supervisor", _("督查人员")
    ADMIN = "admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# The three administrator roles: staff (they reach /admin/), two factors, never two in one person.
ADMIN_ROLES = frozenset({EngineRole.ADMIN.value, EngineRole.SECURITY_ADMIN.value, EngineRole.AUDIT_ADMIN.value})


def _crud(app_model: str, *actions: str) -> list[str]:
    app_label, model = app_model.split(".")
    return [f"{app_label}.{action}_{model}" for action in actions]


ADMIN_PERMISSIONS = {
    # Departments, people (their names and contacts, not their security), the rules tables,
    # the calendar, document series, beat schedules. Reads memberships, cannot change them.
    EngineRole.ADMIN: [
        *_crud("workflow.department", "add", "change", "view"),
        *_crud("workflow.user", "add", "change", "view"),
        "workflow.view_membership",
        *_crud("workflow.calendarday", "add", "change", "delete", "view"),
        *_crud("workflow.calendaryear", "add", "change", "view"),
        *_crud("workflow.timelimitrule", "add", "change", "delete", "view"),
        *_crud("workflow.labelscale", "add", "change", "delete", "view"),
        *_crud("workflow.labelchoice", "add", "change", "delete", "view"),
        *_crud("workflow.rulesetting", "change", "view"),
        *_crud("workflow.documentseries", "add", "change", "view"),
        "workflow.view_urgingnotice", "workflow.view_breachrecord",
        *_crud("django_celery_beat.periodictask", "add", "change", "view"),
        *_crud("django_celery_beat.crontabschedule", "add", "change", "view"),
        *_crud("django_celery_beat.intervalschedule", "add", "change", "view"),
    ],
    # Roles (memberships), the accounts' security (active, passwords, forced change, second
    # factor resets: workflow.manage_account_security), lockouts (axes' records).
    EngineRole.SECURITY_ADMIN: [
        "workflow.view_user", "workflow.manage_account_security",
        *_crud("workflow.membership", "add", "change", "delete", "view"),
        "workflow.view_department", "auth.view_group",
        "axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accessfailurelog",
    ],
    # Reads and exports the audit trail, nothing else.
    EngineRole.AUDIT_ADMIN: ["workflow.view_securityevent", "workflow.export_securityevent"],
}


def register_engine_roles() -> None:
    """The engine's roles and department kinds (government departments, the supervision office)."""
    registry.register_roles(
        EngineRole,
        scopes={EngineRole.HANDLER: RoleScope.DEPARTMENT, EngineRole.DEPT_LEADER: RoleScope.DEPARTMENT},
        directory={
            EngineRole.SUPERVISOR: DirectoryScope.ALL, EngineRole.ADMIN: DirectoryScope.ALL,
            EngineRole.SECURITY_ADMIN: DirectoryScope.ALL,
        },
        app="workflow",
    )
    for role, permissions in ADMIN_PERMISSIONS.items():
        registry.grant_permissions(role, permissions)

    from .models import Department

    registry.register_department_kinds(Department.Kind, app="workflow")


def _permission(dotted: str) -> Permission | None:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def ensure_role_groups() -> dict[str, Group]:
    groups = {}
    for spec in registry.roles():
        group, _created = Group.objects.get_or_create(name=spec.code)
        perms = [p for p in (_permission(d) for d in sorted(spec.permissions)) if p]
        if perms:
            group.permissions.add(*perms)
        groups[spec.code] = group
    return groups


def sync_role_groups_after_migrate(sender, **kwargs):
    """post_migrate hook (also after a test flush): groups, rule defaults, calendar.

    post_migrate is sent once per installed app, in INSTALLED_APPS order, and
    each app's permissions are created by its own signal. Acting on the last
    app's signal means every permission exists by then.
    """
    from django.apps import apps

    from .services import defaults_ensure

    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if sender is None or sender.label != with_models[-1].label:
        return

    defaults_ensure(actor=None)
