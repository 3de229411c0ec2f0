"""Reply letters: drafting, signing off with the document number, supervision review."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow import services as engine
from workflow.models import Department, User
from workflow.rules import label_codes
from workflow.selectors import require_role
from workflow.services import require_status

from ..models import (
    Assignment,
    Proposal,
    Reply,
)
from ..roles import Role
from ._common import (
    _current_assignment,
    _department_people,
    _event,
    _flow_step,
    _lock_assignment,
    _notify_users,
    _open_task,
)


def reply_default_title(proposal: Proposal) -> str:
    return _("关于政协%(session)s第%(number)s号提案的答复") % {"session": proposal.session.name, "number": proposal.number}


@transaction.atomic
def reply_save_draft(
    *, actor: User, assignment: Assignment, reply_class: str, body: str, contact_person: str, contact_phone: str, title: str = "",
) -> Reply:
    """Write or revise the reply letter of the current round (not yet submitted)."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    assignment = _lock_assignment(assignment, assignment.department_id)
    if not assignment.answers:
        raise ValidationError(_("会办单位不单独答复，请送会办意见。"))
    if assignment.status not in (Assignment.Status.SIGNED,):
        raise ValidationError(_("当前不能编辑答复（%(status)s）。") % {"status": assignment.get_status_display()})
    errors = {}
    if reply_class not in label_codes("reply_class"):
        errors["reply_class"] = _("请选择答复类别。")
    if not (body or "").strip():
        errors["body"] = _("请填写答复正文。")
    if not (contact_person or "").strip():
        errors["contact_person"] = _("请填写联系人。")
    if not (contact_phone or "").strip():
        errors["contact_phone"] = _("请填写联系电话。")
    if errors:
        raise ValidationError(errors)
    engine.check_lengths(model=Reply, values={"title": title, "contact_person": contact_person.strip(), "contact_phone": contact_phone.strip()})
    proposal = assignment.proposal
    reply = Reply.objects.select_for_update().filter(assignment=assignment, round=proposal.handling_round).first()
    values = {
        "reply_class": reply_class, "body": body, "contact_person": contact_person.strip(),
        "contact_phone": contact_phone.strip(), "title": (title or "").strip() or reply_default_title(proposal),
    }
    if reply is None:
        reply = Reply.objects.create(assignment=assignment, round=proposal.handling_round, drafted_by=actor, **values)
        _event(proposal, "reply_drafted", actor, department=assignment.department_id, reply=reply.pk)
    else:
        if reply.status not in (Reply.Status.DRAFT, Reply.Status.RETURNED):
            raise ValidationError(_("答复已提交，不能再修改。"))
        for k, v in values.items():
            setattr(reply, k, v)
        reply.save(update_fields=list(values) + ["updated_at"])
        _event(proposal, "reply_revised", actor, department=assignment.department_id, reply=reply.pk)
    return reply


def reply_submit(*, actor: User, assignment: Assignment) -> Reply:
    """Send the draft to the department leader for sign-off (签发)."""
    assignment = _current_assignment(assignment)
    require_role(user=actor, role=Role.HANDLER, department=assignment.department)
    task = _open_task(assignment.proposal, ["draft_reply", "revise"], assignment_id=assignment.pk)
    with _flow_step(task, actor):
        assignment = _lock_assignment(assignment, assignment.department_id)
        proposal = assignment.proposal
        reply = Reply.objects.select_for_update().filter(assignment=assignment, round=proposal.handling_round).first()
        if reply is None:
            raise ValidationError(_("请先撰写答复函。"))
        if reply.status not in (Reply.Status.DRAFT, Reply.Status.RETURNED):
            raise ValidationError(_("答复已提交。"))
        if assignment.role == Assignment.Role.LEAD:
            missing = proposal.assignments.filter(role=Assignment.Role.CO).exclude(status__in=[Assignment.Status.OPINION_SENT, Assignment.Status.REASSIGNED_AWAY])
            if missing.exists():
                names = "、".join(str(a.department) for a in missing.select_related("department"))
                raise ValidationError(_("会办单位（%(names)s）的意见尚未送达，主办单位须综合会办意见后答复。") % {"names": names})
        reply.status = Reply.Status.SUBMITTED
        reply.save(update_fields=["status", "updated_at"])
        assignment.status = Assignment.Status.REPLY_SUBMITTED
        assignment.save(update_fields=["status"])
        _event(proposal, "reply_submitted", actor, department=assignment.department_id, reply=reply.pk)
    _notify_users(_department_people(assignment.department, Role.DEPT_LEADER), "reply_signoff", proposal, reply_title=reply.title)
    return reply


def _next_doc_number(department: Department, year: int, typed: str = "") -> str:
    """The department's reply-letter series (the engine's document numbers)."""
    return engine.document_number_issue(
        department=department, year=year, typed=typed, is_used=lambda number: Reply.objects.filter(doc_number=number).exists(),
    )


def reply_sign_off(*, actor: User, reply: Reply, approve: bool, note: str = "", doc_number: str = "") -> Reply:
    """签发 by the department leader (the document number comes from the department's series), or return."""
    assignment = Assignment.objects.select_related("proposal", "department").get(pk=Reply.objects.values_list("assignment_id", flat=True).get(pk=reply.pk))
    require_role(user=actor, role=Role.DEPT_LEADER, department=assignment.department)
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("退回须说明修改意见。")})
    task = _open_task(assignment.proposal, ["sign_off", "revise_sign_off"], assignment_id=assignment.pk)
    with _flow_step(task, actor):
        reply = Reply.objects.select_for_update().select_related("assignment__department", "assignment__proposal").get(pk=reply.pk)
        assignment = _lock_assignment(reply.assignment, assignment.department_id)
        require_status(reply, [Reply.Status.SUBMITTED], _("答复函不在待签发状态。"))
        now = timezone.now()
        if approve:
            if not reply.doc_number:
                reply.doc_number = _next_doc_number(assignment.department, timezone.localtime(now).year, (doc_number or "").strip())
            reply.status = Reply.Status.SIGNED
            reply.signed_by, reply.signed_at, reply.return_note = actor, now, ""
            assignment.status = Assignment.Status.REPLY_SIGNED
        else:
            reply.status = Reply.Status.RETURNED
            reply.return_note = note.strip()
            assignment.status = Assignment.Status.SIGNED
        reply.save(update_fields=["status", "doc_number", "signed_by", "signed_at", "return_note", "updated_at"])
        assignment.save(update_fields=["status"])
        _event(assignment.proposal, "reply_signed" if approve else "reply_returned_by_leader", actor, department=assignment.department_id, reply=reply.pk, note=note, doc_number=reply.doc_number)
    if not approve:
        _notify_users(_department_people(assignment.department, Role.HANDLER), "reply_returned", assignment.proposal, text=note)
    return reply


def reply_review(*, actor: User, reply: Reply, passed: bool, note: str = "", reply_class: str = "") -> Reply:
    """督办审核: pass (optionally correcting the A/B/C class) or return with reasons."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    if not passed and not (note or "").strip():
        raise ValidationError({"note": _("退回须说明理由。")})
    if reply_class and reply_class not in label_codes("reply_class"):
        raise ValidationError({"reply_class": _("答复类别无效。")})
    assignment = reply.assignment
    task = _open_task(assignment.proposal, "supervision_review", reply_id=reply.pk)
    with _flow_step(task, actor):
        reply = Reply.objects.select_for_update().get(pk=reply.pk)
        assignment = _lock_assignment(reply.assignment)
        require_status(reply, [Reply.Status.SIGNED], _("答复函不在待审核状态。"))
        now = timezone.now()
        if reply_class and reply_class != reply.reply_class:
            reply.original_class = reply.original_class or reply.reply_class
            reply.reply_class = reply_class
        reply.reviewed_by, reply.reviewed_at = actor, now
        if passed:
            reply.status = Reply.Status.PASSED
            assignment.status = Assignment.Status.DONE
        else:
            reply.status = Reply.Status.RETURNED
            reply.return_note = note.strip()
            assignment.status = Assignment.Status.SIGNED
        reply.save(update_fields=["status", "reply_class", "original_class", "reviewed_by", "reviewed_at", "return_note", "updated_at"])
        assignment.save(update_fields=["status"])
        _event(assignment.proposal, "reply_passed" if passed else "reply_returned", actor, department=assignment.department_id, reply=reply.pk, note=note, reply_class=reply.reply_class, original_class=reply.original_class)
    if not passed:
        _notify_users(_department_people(assignment.department, Role.HANDLER), "reply_review_failed", assignment.proposal, text=note)
    return reply
