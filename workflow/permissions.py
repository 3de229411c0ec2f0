"""Permission decisions shared by every case type.

A case app's permissions.py has one predicate per action, returning a
Decision: truthy when allowed, with the reason (in the user's language) when
not. `require()` turns a refusal of *who* (the role or department) into
PermissionDenied (HTTP 403 on pages and in the API) and a refusal of *when*
(the case's state) into ValidationError (400, shown on the form).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError

from .selectors import user_has_role


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    forbidden: bool = True  # a refusal of who (403); False: of when, the case's state (400)

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def not_now(reason: str) -> Decision:
    """Refused because of the case's state, not the person."""
    return Decision(False, reason, forbidden=False)


def require(decision: Decision) -> None:
    if decision:
        return
    if decision.forbidden:
        raise PermissionDenied(decision.reason)
    raise ValidationError(decision.reason)


def role_decision(user, role, message, department=None) -> Decision:
    return ALLOW if user_has_role(user=user, role=role, department=department) else Decision(False, message)


