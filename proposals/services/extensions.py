"""Extension requests and their decisions."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from workflow.flow.runtime import OPEN_TASK
from workflow.handling import extension_record_decision, extension_require_pending
from workflow.models import User
from workflow.workdays import end_of_day

from .. import permissions
from ..models import (
    Assignment,
    ExtensionRequest,
    ProposalTask,
)
from ..roles import Role
from ._common import (
    _check_extension_ceiling,
    _current_assignment,
    _department_people,
    _event,
    _lock_assignment,
    _node,
    _notify_users,
    _office_people,
    _refresh_reply_deadline,
)


@transaction.atomic
def extension_request(*, actor: User, assignment: Assignment, requested_until: dt.date, reason: str) -> ExtensionRequest:
    """Explain in advance and ask for a later reply date (at most 6 months after assignment)."""
    assignment = _current_assignment(assignment)
    permissions.require(permissions.can_handle_for(actor, assignment.department))  # before any lock: a 403 early
    assignment = _lock_assignment(assignment, assignment.department_id)
    pending = assignment.extension_requests.filter(status=ExtensionRequest.Status.PENDING).exists()
    permissions.require(permissions.can_request_extension(actor, assignment, pending=pending))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明延期理由。")})
    _check_extension_ceiling(assignment, requested_until)
    req = ExtensionRequest.objects.create(assignment=assignment, reason=reason.strip(), requested_until=requested_until, requested_by=actor)
    _event(assignment.proposal, "extension_requested", actor, department=assignment.department_id, until=requested_until.isoformat())
    _notify_users(_office_people(), "extension_requested", assignment.proposal, dept=str(assignment.department), text=reason)
    return req


@transaction.atomic
def extension_decide(*, actor: User, request: ExtensionRequest, approve: bool, note: str = "") -> ExtensionRequest:
    permissions.require(permissions.can_manage(actor))
    # Lock the assignment before its request, in the order every other service
    # locks them (re-assignment and re-handling cancel pending requests).
    assignment_id = ExtensionRequest.objects.values_list("assignment_id", flat=True).get(pk=request.pk)
    assignment = _lock_assignment(Assignment(pk=assignment_id))
    req = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
    extension_require_pending(request=req)  # before the date checks: a decided request says so
    if approve and assignment.status in (Assignment.Status.DONE, Assignment.Status.REASSIGNED_AWAY):
        raise ValidationError(_("该单位已答复，无需延期。"))
    if approve and end_of_day(req.requested_until) <= assignment.deadline:
        raise ValidationError(_("申请的日期已不晚于现在的答复期限（交办调整或重办后期限已变），无需批准。"))
    if approve:
        _check_extension_ceiling(assignment, req.requested_until)
    extension_record_decision(request=req, actor=actor, approve=approve, note=note)
    if approve:
        assignment.deadline = end_of_day(req.requested_until)
        assignment.extended = True
        assignment.save(update_fields=["deadline", "extended"])
        ProposalTask.objects.filter(
            proposal=assignment.proposal, status__in=OPEN_TASK, data__assignment_id=assignment.pk,
            flow_task__in=[_node("draft_reply"), _node("revise")],
        ).update(deadline=assignment.deadline)
        _refresh_reply_deadline(assignment.proposal_id)
    _event(assignment.proposal, "extension_approved" if approve else "extension_refused", actor, department=assignment.department_id, until=req.requested_until.isoformat(), note=note)
    _notify_users(_department_people(assignment.department, Role.HANDLER), "extension_decided", assignment.proposal, approved=bool(approve), text=note)
    return req
