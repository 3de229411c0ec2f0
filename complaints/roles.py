"""The roles complaints bring to the engine, and what each role's group may do.

`Role` is the namespace complaint code uses: the complaint roles registered
here plus the engine's department roles it routes tasks to.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflow import registry
from workflow.registry import RoleScope
from workflow.roles import EngineRole


class ComplaintRole(models.TextChoices):
    DISPATCHER = "dispatcher", _("派单员")
    OPERATOR = "operator", _("热线/窗口受理员")


class Role:
    DISPATCHER = ComplaintRole.DISPATCHER
    OPERATOR = ComplaintRole.OPERATOR
    HANDLER = EngineRole.HANDLER
    DEPT_LEADER = EngineRole.DEPT_LEADER
    SUPERVISOR = EngineRole.SUPERVISOR
    ADMIN = EngineRole.ADMIN


class ComplaintDepartmentKind(models.TextChoices):
    HOTLINE_CENTRE = "hotline_centre", _("热线中心")


# view_complaintprocess is viewflow's flow-wide gate (an empty inbox without it);
# the scope is always the selectors' (complaints/selectors.py).
_VIEW = ["complaints.view_complaint", "complaints.view_complaintprocess"]
PERMISSIONS = {
    Role.DISPATCHER: [*_VIEW, "complaints.add_complaint", "complaints.dispatch_complaint"],
    Role.OPERATOR: [*_VIEW, "complaints.add_complaint"],
    Role.HANDLER: [*_VIEW, "complaints.handle_complaint"],
    Role.DEPT_LEADER: [*_VIEW, "complaints.handle_complaint"],
    Role.SUPERVISOR: _VIEW,
    # The system administrator keeps the complaints' rules tables; Open311 keys are credentials:
    # the security administrator's.
    Role.ADMIN: [
        f"complaints.{action}_{model}" for model in ("category", "notacceptedreason", "routingrule", "departmentsetting")
        for action in ("add", "change", "view")
    ],
    EngineRole.SECURITY_ADMIN: [f"complaints.{action}_open311key" for action in ("add", "change", "view")],
}

# The hotline's own roles: they call citizens back and send them the reply notice, see the
# citizen's name and free text unmasked, and reveal the phone (audited) when they call.
# Nobody sees the phone, ID number, e-mail or contact address unmasked by role (docs/security.md).
HOTLINE_ROLES = frozenset({Role.DISPATCHER, Role.OPERATOR})
STAFF_ROLES = frozenset({Role.DISPATCHER, Role.OPERATOR, Role.HANDLER, Role.DEPT_LEADER, Role.SUPERVISOR})


def register() -> None:
    registry.register_roles(
        ComplaintRole,
        scopes={ComplaintRole.DISPATCHER: RoleScope.OFFICE, ComplaintRole.OPERATOR: RoleScope.OFFICE},
        app="complaints",
    )
    registry.register_department_kinds(ComplaintDepartmentKind, app="complaints")
    for role, permissions in PERMISSIONS.items():
        registry.grant_permissions(role, permissions)
    registry.register_navigation(
        registry.NavEntry("complaints:list", _("投诉工单"), STAFF_ROLES, _("派单、签收、办理、回访"), order=30, primary=True),
        registry.NavEntry("complaints:ledger", _("投诉受理台账"), frozenset({Role.DISPATCHER, Role.SUPERVISOR}), _("全生命周期时间、是否按时，可导出Excel"), order=31, primary=True),
        registry.NavEntry("complaints_public:submit", _("我要投诉"), frozenset(), _("市民投诉、咨询、建议（无需登录）"), order=60, all_roles=True, public=True),
        registry.NavEntry("complaints_public:track", _("进度查询"), frozenset(), _("凭工单号和查询码查看办理进度"), order=61, all_roles=True, public=True),
    )
