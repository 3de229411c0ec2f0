"""Roles as Django groups.

Each Role is a group named by its code. A person's groups are derived from
their active memberships (services.user_sync_groups). The default
permissions below are added to a group after every migrate; permissions an
administrator adds in the admin are kept (nothing is removed).
"""
from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from .models import Role

# "app_label.codename" strings. Permissions not (yet) defined are skipped, so
# later apps can list theirs here before their models exist.
DEFAULT_ROLE_PERMISSIONS: dict[str, list[str]] = {
    # view_proposalprocess is viewflow's flow-wide gate: without it a user's
    # inbox is empty. It is never the scope: selectors scope by department.
    Role.MEMBER: ["proposals.add_proposal", "proposals.view_proposal", "proposals.view_proposalprocess"],
    Role.PROPOSAL_OFFICE: [
        "proposals.view_proposal", "proposals.review_proposal", "proposals.view_proposalprocess",
        "workflow.view_department", "workflow.view_calendarday",
    ],
    Role.HANDLER: ["proposals.view_proposal", "proposals.handle_proposal", "proposals.view_proposalprocess", "complaints.view_complaint"],
    Role.DEPT_LEADER: ["proposals.view_proposal", "proposals.handle_proposal", "proposals.view_proposalprocess", "complaints.view_complaint"],
    Role.DISPATCHER: ["complaints.view_complaint", "complaints.change_complaint", "complaints.add_complaint"],
    Role.SUPERVISOR: ["proposals.view_proposal", "proposals.view_proposalprocess", "complaints.view_complaint"],
    Role.KEY_LEADER: ["proposals.view_proposal", "proposals.view_proposalprocess"],
    Role.ADMIN: [],  # administrators are superusers
}


def _permission(dotted: str) -> Permission | None:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def ensure_role_groups() -> dict[str, Group]:
    groups = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        perms = [p for p in (_permission(d) for d in DEFAULT_ROLE_PERMISSIONS.get(role, [])) if p]
        if perms:
            group.permissions.add(*perms)
        groups[role.value] = group
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
