"""Department handling: signing, re-assignment, consultations, co-handler opinions."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import services as engine
from workflow.models import Department, User
from workflow.selectors import require_role
from workflow.services import require_status

from .. import permissions
from ..models import (
    Assignment,
    Consultation,
)
from ..roles import Role
from ._common import (
    _cancel_pending_extensions,
    _current_assignment,
    _deadline,
    _department_people,
    _event,
    _flow_step,
    _lock_assignment,
    _notify_users,
    _office_people,
    _open_task,
    _refresh_reply_deadline,
    _remember,
)
from .assignment import _check_departments


def assignment_sign(*, actor: User, assignment: Assignment) -> Assignment:
    """签收."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    task = _open_task(assignment.proposal, "sign", assignment_id=assignment.pk)
    with _flow_step(task, actor):
        assignment = _lock_assignment(assignment, assignment.department_id)
        require_status(assignment, [Assignment.Status.ASSIGNED], _("该交办不在待签收状态。"))
        assignment.status = Assignment.Status.SIGNED
        assignment.signed_at = timezone.now()
        assignment.signed_by = actor
        assignment.save(update_fields=["status", "signed_at", "signed_by"])
        _event(assignment.proposal, "signed", actor, department=assignment.department_id)
    return assignment


def assignment_request_reassign(*, actor: User, assignment: Assignment, reason: str) -> Assignment:
    """申请调整: within the window after assignment, with a reason. The office decides."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("申请调整须说明理由。")})
    now = timezone.now()
    if now > assignment.reassign_deadline:
        raise ValidationError({"reason": _("已超过申请调整期限（%(deadline)s前），不再受理，请按交办意见办理。") % {"deadline": timezone.localtime(assignment.reassign_deadline).strftime("%Y-%m-%d")}})
    task = _open_task(assignment.proposal, "sign", assignment_id=assignment.pk)
    with _flow_step(task, actor):
        assignment = _lock_assignment(assignment, assignment.department_id)
        require_status(assignment, [Assignment.Status.ASSIGNED], _("签收后不能再申请调整。"))
        assignment.status = Assignment.Status.REASSIGN_REQUESTED
        assignment.reassign_reason = reason.strip()
        assignment.reassign_requested_at = now
        assignment.save(update_fields=["status", "reassign_reason", "reassign_requested_at"])
        _event(assignment.proposal, "reassign_requested", actor, department=assignment.department_id, reason=reason)
    _notify_users(_office_people(), "reassign_requested", assignment.proposal, dept=str(assignment.department), text=reason)
    return assignment


def assignment_decide_reassign(
    *, actor: User, assignment: Assignment, approve: bool, new_department: Department | None = None, note: str = "",
) -> Assignment:
    """The office approves (choosing the new department) or refuses a re-assignment request."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    if approve and new_department is None:
        raise ValidationError({"new_department": _("同意调整须选择新的承办单位。")})
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("不同意调整须说明理由。")})
    task = _open_task(assignment.proposal, "reassign_decide", assignment_id=assignment.pk)
    with _flow_step(task, actor):
        assignment = _lock_assignment(assignment)
        require_status(assignment, [Assignment.Status.REASSIGN_REQUESTED], _("没有待审批的调整申请。"))
        old_department = assignment.department
        fields = ["status"]
        if approve:
            if new_department.pk == assignment.department_id:
                raise ValidationError({"new_department": _("请选择另一个承办单位。")})
            others = assignment.proposal.assignments.exclude(pk=assignment.pk).exclude(status=Assignment.Status.REASSIGNED_AWAY)
            _check_departments([new_department] + [a.department for a in others])
            now = timezone.now()
            assignment.department = new_department
            assignment.assigned_at = now
            assignment.reassign_deadline = _deadline("reassign_request", now)
            assignment.deadline = _deadline("co_opinion" if assignment.role == Assignment.Role.CO else "reply", now)
            fields += ["department", "assigned_at", "reassign_deadline", "deadline"]
        assignment.status = Assignment.Status.ASSIGNED
        assignment.save(update_fields=fields)
        if approve:
            _remember([assignment], "reassign_deadline", "deadline")
            _cancel_pending_extensions(assignment, actor, _("承办单位已调整，期限已重新计算"))
        if approve:
            _refresh_reply_deadline(assignment.proposal_id)
        _event(assignment.proposal, "reassign_approved" if approve else "reassign_refused", actor,
               from_department=old_department.pk, to_department=assignment.department_id, note=note)
    _notify_users(_department_people(old_department, Role.HANDLER), "reassign_decided", assignment.proposal, approved=bool(approve), text=note)
    if approve:
        _notify_users(_department_people(new_department, Role.HANDLER), "assigned", assignment.proposal)
    return assignment


@transaction.atomic
def consultation_record(
    *, actor: User, assignment: Assignment, date: dt.date, mode: str, participants: str, note: str = "",
) -> Consultation:
    """办理协商 with the member: date, mode, who took part."""
    assignment = _current_assignment(assignment)
    permissions.require(permissions.can_handle_for(actor, assignment.department))  # before any lock: a 403 early
    assignment = _lock_assignment(assignment, assignment.department_id)
    permissions.require(permissions.can_record_consultation(actor, assignment, assignment.proposal))
    if mode not in Consultation.Mode.values:
        raise ValidationError({"mode": _("协商方式无效。")})
    if not (participants or "").strip():
        raise ValidationError({"participants": _("请填写参加人员。")})
    engine.check_lengths(model=Consultation, values={"participants": participants.strip()})
    if date > timezone.localdate():
        raise ValidationError({"date": _("协商日期不能晚于今天。")})
    if date < timezone.localtime(assignment.assigned_at).date():
        raise ValidationError({"date": _("协商日期不能早于交办日期。")})
    consultation = Consultation.objects.create(assignment=assignment, date=date, mode=mode, participants=participants.strip(), note=note, recorded_by=actor)
    _event(assignment.proposal, "consulted", actor, department=assignment.department_id, date=date.isoformat(), mode=mode)
    return consultation


def assignment_send_opinion(*, actor: User, assignment: Assignment, opinion: str) -> Assignment:
    """会办意见 to the lead department."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    if assignment.role != Assignment.Role.CO:
        raise ValidationError(_("只有会办单位送会办意见。"))
    if not (opinion or "").strip():
        raise ValidationError({"opinion": _("请填写会办意见。")})
    task = _open_task(assignment.proposal, "co_opinion", assignment_id=assignment.pk)
    with _flow_step(task, actor):
        assignment = _lock_assignment(assignment, assignment.department_id)
        require_status(assignment, [Assignment.Status.SIGNED], _("会办意见已送出或尚未签收。"))
        assignment.opinion = opinion.strip()
        assignment.opinion_sent_at = timezone.now()
        assignment.status = Assignment.Status.OPINION_SENT
        assignment.save(update_fields=["opinion", "opinion_sent_at", "status"])
        _event(assignment.proposal, "opinion_sent", actor, department=assignment.department_id)
    lead = assignment.proposal.assignments.filter(role=Assignment.Role.LEAD).select_related("department").first()
    if lead:
        _notify_users(_department_people(lead.department, Role.HANDLER), "co_opinion", assignment.proposal, dept=str(assignment.department))
    return assignment
