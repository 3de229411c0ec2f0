"""Who may do what in the proposals app: one predicate per rule, used by the page and the API."""
from __future__ import annotations

from workflow.models import Role, User
from workflow.selectors import user_roles

SUPERVISION_ROLES = frozenset({Role.SUPERVISOR, Role.KEY_LEADER, Role.PROPOSAL_OFFICE, Role.ADMIN})


def can_view_supervision(user: User) -> bool:
    """The supervision list (key and overdue proposals) is for supervisors, leading
    officials, the proposal office and administrators (the /proposals/supervision/ page's rule)."""
    return bool(SUPERVISION_ROLES & user_roles(user=user))
