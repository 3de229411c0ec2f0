"""The roles complaints bring to the engine (the complaint flow itself is issue 8)."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflow import registry
from workflow.registry import RoleScope
from workflow.roles import EngineRole


class ComplaintRole(models.TextChoices):
    DISPATCHER = "dispatcher", _("派单员")


class ComplaintDepartmentKind(models.TextChoices):
    HOTLINE_CENTRE = "hotline_centre", _("热线中心")


# Permissions not (yet) defined are skipped when the groups are built.
PERMISSIONS = {
    ComplaintRole.DISPATCHER: ["complaints.view_complaint", "complaints.change_complaint", "complaints.add_complaint"],
    EngineRole.HANDLER: ["complaints.view_complaint"],
    EngineRole.DEPT_LEADER: ["complaints.view_complaint"],
    EngineRole.SUPERVISOR: ["complaints.view_complaint"],
}


def register() -> None:
    registry.register_roles(ComplaintRole, scopes={ComplaintRole.DISPATCHER: RoleScope.OFFICE}, app="complaints")
    registry.register_department_kinds(ComplaintDepartmentKind, app="complaints")
    for role, permissions in PERMISSIONS.items():
        registry.grant_permissions(role, permissions)
    registry.register_navigation(
        registry.NavEntry("complaints:list", _("投诉工单"), frozenset({ComplaintRole.DISPATCHER, EngineRole.HANDLER, EngineRole.DEPT_LEADER, EngineRole.SUPERVISOR}), _("派单、签收、办理、回访"), order=30),
    )
