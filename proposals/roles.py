"""The roles proposals bring to the engine, and what each role's group may do.

`Role` is the namespace proposal code uses: the proposal roles registered here
plus the engine's department roles it routes tasks to.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflow import registry
from workflow.registry import DirectoryScope, RoleScope
from workflow.roles import EngineRole


class ProposalRole(models.TextChoices):
    MEMBER = "member", _("政协委员")
    PROPOSAL_OFFICE = "proposal_office", _("提案委工作人员")
    KEY_LEADER = "key_leader", _("牵头领导")


class Role:
    MEMBER = ProposalRole.MEMBER
    PROPOSAL_OFFICE = ProposalRole.PROPOSAL_OFFICE
    KEY_LEADER = ProposalRole.KEY_LEADER
    HANDLER = EngineRole.HANDLER
    DEPT_LEADER = EngineRole.DEPT_LEADER
    SUPERVISOR = EngineRole.SUPERVISOR
    ADMIN = EngineRole.ADMIN


class ProposalDepartmentKind(models.TextChoices):
    PROPOSAL_OFFICE = "proposal_office", _("提案委（提案科）")
    COMMITTEE = "committee", _("政协组织")


# view_proposalprocess is viewflow's flow-wide gate: without it a user's inbox
# is empty. It is never the scope: selectors scope by department.
PERMISSIONS = {
    Role.MEMBER: ["proposals.add_proposal", "proposals.view_proposal", "proposals.view_proposalprocess"],
    Role.PROPOSAL_OFFICE: [
        "proposals.view_proposal", "proposals.review_proposal", "proposals.view_proposalprocess",
        "workflow.view_department", "workflow.view_calendarday",
    ],
    Role.HANDLER: ["proposals.view_proposal", "proposals.handle_proposal", "proposals.view_proposalprocess"],
    Role.DEPT_LEADER: ["proposals.view_proposal", "proposals.handle_proposal", "proposals.view_proposalprocess"],
    Role.SUPERVISOR: ["proposals.view_proposal", "proposals.view_proposalprocess"],
    # The system administrator keeps the proposals' rules tables (sessions, categories, reasons).
    Role.ADMIN: [
        f"proposals.{action}_{model}" for model in ("session", "category", "rejectionreason") for action in ("add", "change", "view")
    ],
    Role.KEY_LEADER: ["proposals.view_proposal", "proposals.view_proposalprocess"],
}


def register() -> None:
    registry.register_roles(
        ProposalRole,
        scopes={ProposalRole.PROPOSAL_OFFICE: RoleScope.OFFICE},
        # the office assigns cases and names leading officials; members invite co-signers
        directory={ProposalRole.PROPOSAL_OFFICE: DirectoryScope.ALL, ProposalRole.MEMBER: DirectoryScope.PEERS},
        app="proposals",
    )
    registry.register_department_kinds(ProposalDepartmentKind, app="proposals")
    for role, permissions in PERMISSIONS.items():
        registry.grant_permissions(role, permissions)
