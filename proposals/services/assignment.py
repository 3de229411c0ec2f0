"""Assignment (交办), key proposals and disclosure."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.models import Department, User
from workflow.selectors import require_role, user_has_role
from workflow.services import require_status

from .. import permissions
from ..models import (
    Assignment,
    Proposal,
)
from ..roles import Role
from ._common import (
    _deadline,
    _department_people,
    _event,
    _flow_step,
    _notify_users,
    _open_task,
    _set_status,
    _remember,
)


def _check_departments(departments: list[Department]) -> None:
    seen = set()
    for d in departments:
        if d.pk in seen:
            raise ValidationError({"departments": _("同一单位不能重复交办：%(d)s") % {"d": d}})
        seen.add(d.pk)
        if not d.is_active or d.kind != Department.Kind.GOVERNMENT:
            raise ValidationError({"departments": _("“%(d)s”不是可承办提案的单位。") % {"d": d}})


def _supervision_fields(proposal, *, is_key, leading_official, supervising_unit) -> list[str]:
    if is_key and (leading_official is None or supervising_unit is None):
        raise ValidationError({"is_key": _("重点提案须指定牵头领导和督办单位。")})
    if leading_official is not None and not user_has_role(user=leading_official, role=Role.KEY_LEADER):
        raise ValidationError({"leading_official": _("“%(u)s”不是牵头领导。") % {"u": leading_official}})
    if supervising_unit is not None and supervising_unit.kind != Department.Kind.SUPERVISION_OFFICE:
        raise ValidationError({"supervising_unit": _("督办单位须为督查室等督办机构。")})
    proposal.is_key = is_key
    proposal.leading_official = leading_official
    proposal.supervising_unit = supervising_unit
    return ["is_key", "leading_official", "supervising_unit"]


def proposal_assign(
    *, actor: User, proposal: Proposal, mode: str, lead: Department | None = None, co_handlers: Iterable[Department] = (),
    separate: Iterable[Department] = (), is_key: bool = False, leading_official: User | None = None,
    supervising_unit: Department | None = None, is_public: bool = True, note: str = "", at: dt.datetime | None = None,
) -> Proposal:
    """交办: single department, lead + co-handlers, or separate handlers; deadlines in working days."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    co_handlers, separate = list(co_handlers), list(separate)
    if mode == Proposal.HandlingMode.SINGLE:
        if lead is None or co_handlers or separate:
            raise ValidationError({"lead": _("单独办理须且只能选择一个承办单位。")})
        plan = [(lead, Assignment.Role.SINGLE)]
    elif mode == Proposal.HandlingMode.LEAD_CO:
        if lead is None or not co_handlers or separate:
            raise ValidationError({"co_handlers": _("主办+会办须选择一个主办单位和至少一个会办单位。")})
        plan = [(lead, Assignment.Role.LEAD)] + [(d, Assignment.Role.CO) for d in co_handlers]
    elif mode == Proposal.HandlingMode.SEPARATE:
        if len(separate) < 2 or lead is not None or co_handlers:
            raise ValidationError({"separate": _("分办须选择至少两个承办单位。")})
        plan = [(d, Assignment.Role.SEPARATE) for d in separate]
    else:
        raise ValidationError({"mode": _("办理方式无效。")})
    _check_departments([d for d, _r in plan])
    task = _open_task(proposal, "assign")
    with _flow_step(task, actor):
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        require_status(proposal, [Proposal.Status.ACCEPTED], _("只有已立案的提案可以交办。"))
        now = at or timezone.now()
        reply_deadline = _deadline("reply", now)
        co_deadline = _deadline("co_opinion", now)
        reassign_deadline = _deadline("reassign_request", now)
        _remember([  # one by one: bulk_create would write no history rows
            Assignment.objects.create(
                proposal=proposal, department=d, role=role, assigned_at=now, reassign_deadline=reassign_deadline,
                deadline=co_deadline if role == Assignment.Role.CO else reply_deadline,
            )
            for d, role in plan
        ], "reassign_deadline", "deadline")
        fields = _supervision_fields(proposal, is_key=is_key, leading_official=leading_official, supervising_unit=supervising_unit)
        proposal.handling_mode = mode
        proposal.assigned_at = now
        proposal.reply_deadline = reply_deadline
        proposal.is_public = is_public
        proposal.save(update_fields=fields + ["handling_mode", "assigned_at", "reply_deadline", "is_public"])
        _set_status(proposal, Proposal.Status.HANDLING, actor, "assigned", mode=mode, departments=[d.pk for d, _r in plan], note=note)
    for department, role in plan:
        _notify_users(_department_people(department, Role.HANDLER), "assigned", proposal)
    _notify_users([proposal.proposer], "assigned_to_proposer", proposal)
    return proposal


@transaction.atomic
def proposal_set_supervision(
    *, actor: User, proposal: Proposal, is_key: bool, leading_official: User | None = None, supervising_unit: Department | None = None,
) -> Proposal:
    """Mark (or unmark) a key proposal with its leading official and supervising unit."""
    permissions.require(permissions.can_manage(actor))
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.number is None:
        raise ValidationError(_("只有已立案的提案可以设为重点提案。"))
    if proposal.status == Proposal.Status.CLOSED:
        raise ValidationError(_("提案已办结，不能再设置重点督办。"))
    fields = _supervision_fields(proposal, is_key=is_key, leading_official=leading_official, supervising_unit=supervising_unit)
    proposal.save(update_fields=fields)
    _event(proposal, "key_set" if is_key else "key_unset", actor, leading_official=getattr(leading_official, "pk", None), supervising_unit=getattr(supervising_unit, "pk", None))
    if is_key:
        _notify_users([leading_official], "key_lead", proposal)
    return proposal


@transaction.atomic
def proposal_set_public(*, actor: User, proposal: Proposal, is_public: bool) -> Proposal:
    permissions.require(permissions.can_manage(actor))
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    proposal.is_public = is_public
    proposal.save(update_fields=["is_public"])
    _event(proposal, "public_set" if is_public else "public_unset", actor)
    return proposal
