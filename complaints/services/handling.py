"""The department's work: sign for or return (退单), co-handling opinions,
handling records, the reply and its sign-off, extensions (延期) and
suspensions (挂起), the leader's instructions (批示), revealing the
citizen's contact details (audited)."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.audit import audit_reveal
from workflow.handling import extension_can_request, extension_cancel_pending, extension_check_dates, extension_record_decision
from workflow.models import User
from workflow.permissions import require
from workflow.rules import time_limit_text
from workflow.selectors import require_role
from workflow.services import check_lengths, require_status
from workflow.workdays import add_working_days

from .. import permissions
from ..attachments import check_uploads
from ..models import Complaint, ComplaintExtension, ComplaintReply, Dispatch, HandlingNote, Suspension
from ..roles import Role
from ._common import (
    CASE_KIND,
    store_attachment,
    _deadline,
    _department_people,
    _dispatchers,
    _event,
    _flow_step,
    _lock,
    _notify_users,
    _open_task,
    _set_status,
    _tell_citizen,
)

HANDLE_NODES = ("handle", "revise")


def _lock_dispatch(dispatch: Dispatch) -> Dispatch:
    return Dispatch.objects.select_for_update(of=("self",)).select_related("complaint", "department").get(pk=dispatch.pk)


def _dept_name(dept) -> str:
    return dept.short_name or dept.name


# --- sign for, or return -------------------------------------------------------------
@transaction.atomic
def dispatch_sign(*, actor: User, dispatch: Dispatch) -> Dispatch:
    """签收."""
    dispatch = _lock_dispatch(dispatch)
    require_role(user=actor, role=Role.HANDLER, department=dispatch.department)
    complaint = _lock(dispatch.complaint)
    if dispatch.status != Dispatch.Status.DISPATCHED:
        raise ValidationError(_("该派单不在待签收状态（%(status)s）。") % {"status": dispatch.get_status_display()})
    now = timezone.now()
    task = _open_task(complaint, "sign", dispatch_id=dispatch.pk)
    with _flow_step(task, actor):
        dispatch.status, dispatch.signed_at = Dispatch.Status.SIGNED, now
        dispatch.save(update_fields=["status", "signed_at"])
        payload = {"department": dispatch.department_id, "department_name": _dept_name(dispatch.department)}
        if dispatch.role == Dispatch.Role.LEAD:
            complaint.signed_at = now
            if complaint.status == Complaint.Status.DISPATCHED:
                _set_status(complaint, Complaint.Status.HANDLING, actor, "signed", extra_fields=["signed_at"], **payload)
            else:
                complaint.save(update_fields=["signed_at"])
                _event(complaint, "signed", actor, **payload)
        else:
            _event(complaint, "signed", actor, **payload)
    if dispatch.role == Dispatch.Role.LEAD:
        _tell_citizen(complaint, _("已由%(dept)s签收办理。") % {"dept": _dept_name(dispatch.department)})
    return dispatch


@transaction.atomic
def dispatch_return(*, actor: User, dispatch: Dispatch, reason: str) -> Dispatch:
    """退单: within the window after dispatch, with a reason; the dispatcher rules on it."""
    dispatch = _lock_dispatch(dispatch)
    require_role(user=actor, role=Role.HANDLER, department=dispatch.department)
    complaint = _lock(dispatch.complaint)
    if dispatch.status != Dispatch.Status.DISPATCHED:
        raise ValidationError(_("已签收的工单不能退单。"))
    if dispatch.return_improper:
        raise ValidationError(_("退单已被认定不当，请签收办理。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("退单须说明理由。")})
    now = timezone.now()
    if now > dispatch.return_due:
        raise ValidationError(_("已超过退单期限（派单后%(limit)s），请签收办理。") % {"limit": time_limit_text(case_kind=CASE_KIND, step="return")})
    task = _open_task(complaint, "sign", dispatch_id=dispatch.pk)
    with _flow_step(task, actor):
        dispatch.status, dispatch.returned_at, dispatch.return_reason = Dispatch.Status.RETURNED, now, reason.strip()
        dispatch.save(update_fields=["status", "returned_at", "return_reason"])
        _event(complaint, "returned", actor, department=dispatch.department_id, department_name=_dept_name(dispatch.department), reason=reason.strip())
    _notify_users(_dispatchers(), "returned", complaint, dept=str(_dept_name(dispatch.department)), text=reason)
    return dispatch


@transaction.atomic
def dispatch_opinion(*, actor: User, dispatch: Dispatch, opinion: str) -> Dispatch:
    """协办意见 to the lead department."""
    dispatch = _lock_dispatch(dispatch)
    require_role(user=actor, role=Role.HANDLER, department=dispatch.department)
    complaint = _lock(dispatch.complaint)
    if dispatch.role != Dispatch.Role.CO or dispatch.status != Dispatch.Status.SIGNED:
        raise ValidationError(_("只有已签收的协办单位可以送协办意见。"))
    if not (opinion or "").strip():
        raise ValidationError({"opinion": _("请填写协办意见。")})
    task = _open_task(complaint, "co_opinion", dispatch_id=dispatch.pk)
    with _flow_step(task, actor):
        dispatch.opinion, dispatch.status = opinion.strip(), Dispatch.Status.DONE
        dispatch.save(update_fields=["opinion", "status"])
        _event(complaint, "co_opinion", actor, department=dispatch.department_id, department_name=_dept_name(dispatch.department))
    if complaint.department:
        _notify_users(_department_people(complaint.department), "assist_opinion", complaint)
    return dispatch


# --- handling records ----------------------------------------------------------------
@transaction.atomic
def complaint_add_note(*, actor: User, complaint: Complaint, kind: str, text: str, mode: str = "", contacted_at: dt.datetime | None = None, attachments=()) -> HandlingNote:
    """A handling record (note, contact with the citizen with time and mode, findings),
    with attachments (photos, documents: checked by content like the citizen's).
    The first contact after a bad review is what the 1 WD contact rule is measured by."""
    complaint = _lock(complaint)
    department = permissions.handling_department(actor, complaint)
    require(permissions.can_add_note(actor, complaint))
    if kind not in (HandlingNote.Kind.NOTE, HandlingNote.Kind.CONTACT, HandlingNote.Kind.FINDING):
        raise ValidationError({"kind": _("记录类型无效。")})
    if not (text or "").strip():
        raise ValidationError({"text": _("请填写内容。")})
    if kind == HandlingNote.Kind.CONTACT:
        errors = {}
        if mode not in HandlingNote.Mode.values:
            errors["mode"] = _("请选择联系方式。")
        if contacted_at is None:
            errors["contacted_at"] = _("请填写联系时间。")
        elif contacted_at > timezone.now() + dt.timedelta(minutes=5):
            errors["contacted_at"] = _("联系时间不能晚于现在。")
        elif contacted_at < complaint.received_at:
            errors["contacted_at"] = _("联系时间不能早于受理时间。")
        if errors:
            raise ValidationError(errors)
    check_lengths(model=HandlingNote, values={"text": text})
    checked = check_uploads(attachments)
    now = timezone.now()
    note = HandlingNote.objects.create(
        complaint=complaint, department=department, kind=kind, mode=mode if kind == HandlingNote.Kind.CONTACT else "",
        contacted_at=contacted_at if kind == HandlingNote.Kind.CONTACT else None, text=text.strip(), author=actor, created_at=now,
    )
    for upload in checked:
        store_attachment(complaint=complaint, upload=upload, uploaded_by=actor, note=note, is_public=False, now=now)
    if kind == HandlingNote.Kind.CONTACT and complaint.status == Complaint.Status.RECTIFYING and complaint.contacted_after_bad_at is None:
        complaint.contacted_after_bad_at = contacted_at
        complaint.save(update_fields=["contacted_after_bad_at"])
    _event(complaint, "contact_recorded" if kind == HandlingNote.Kind.CONTACT else "note_added", actor, kind=kind, mode=mode)
    return note


@transaction.atomic
def complaint_instruct(*, actor: User, complaint: Complaint, text: str) -> HandlingNote:
    """领导批示: the department leader's instruction, shown to the handlers in the timeline."""
    complaint = _lock(complaint)
    require(permissions.can_instruct(actor, complaint))
    if not (text or "").strip():
        raise ValidationError({"text": _("请填写批示内容。")})
    note = HandlingNote.objects.create(
        complaint=complaint, department=complaint.department, kind=HandlingNote.Kind.INSTRUCTION, text=text.strip(), author=actor, created_at=timezone.now(),
    )
    _event(complaint, "instruction", actor)
    _notify_users(_department_people(complaint.department), "instruction", complaint, text=text.strip())
    return note


@transaction.atomic
def complaint_reveal_contact(*, actor: User, complaint: Complaint, reason: str = "") -> dict:
    """A department user needs the citizen's full contact details: allowed to
    the departments handling the case and supervisors, and audited."""
    complaint = _lock(complaint)
    require(permissions.can_reveal_contact(actor, complaint))
    _event(complaint, "contact_revealed", actor, reason=(reason or "").strip())
    contact = complaint.contact_details()
    audit_reveal(actor=actor, obj=complaint, fields=[name for name, value in contact.items() if value], reason=reason)
    return contact


# --- the reply ---------------------------------------------------------------------------
def _requires_sign_off(complaint: Complaint) -> bool:
    setting = getattr(complaint.department, "complaint_setting", None) if complaint.department else None
    return bool(setting and setting.requires_sign_off)


@transaction.atomic
def complaint_reply(*, actor: User, complaint: Complaint, body: str, findings: str = "") -> ComplaintReply:
    """The lead department's reply (答复): to the leader for sign-off when the
    department requires it, otherwise to the dispatcher's review."""
    complaint = _lock(complaint)
    if complaint.department is None:
        raise ValidationError(_("工单尚未派单。"))
    require_role(user=actor, role=Role.HANDLER, department=complaint.department)
    require_status(complaint, [Complaint.Status.HANDLING, Complaint.Status.RECTIFYING], _("工单不在办理中。"))
    if complaint.is_suspended:
        raise ValidationError(_("工单已挂起，请先恢复办理再答复。"))
    errors = {}
    if not (body or "").strip():
        errors["body"] = _("请填写答复内容。")
    if errors:
        raise ValidationError(errors)
    check_lengths(model=ComplaintReply, values={"body": body, "findings": findings})
    task = _open_task(complaint, HANDLE_NODES)
    sign_off = _requires_sign_off(complaint)
    now = timezone.now()
    with _flow_step(task, actor):
        reply = ComplaintReply.objects.create(
            complaint=complaint, round=complaint.handling_round, body=body.strip(), findings=(findings or "").strip(),
            status=ComplaintReply.Status.DRAFT if sign_off else ComplaintReply.Status.SIGNED, written_by=actor, written_at=now,
        )
        _event(complaint, "reply_written", actor, round=complaint.handling_round)
        cancel_pending_requests(complaint, actor, _("已答复，申请不再需要。"))
    if sign_off:
        _notify_users(_department_people(complaint.department, Role.DEPT_LEADER), "reply_signoff", complaint)
    return reply


@transaction.atomic
def complaint_reply_sign_off(*, actor: User, reply: ComplaintReply, approve: bool, note: str = "") -> ComplaintReply:
    """The department leader signs the reply off (签发) or returns it to the handler."""
    reply = ComplaintReply.objects.select_for_update(of=("self",)).select_related("complaint").get(pk=reply.pk)
    complaint = _lock(reply.complaint)
    require_role(user=actor, role=Role.DEPT_LEADER, department=complaint.department)
    if reply.status != ComplaintReply.Status.DRAFT:
        raise ValidationError(_("该答复不在待签发状态。"))
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("退回须说明理由。")})
    task = _open_task(complaint, ["sign_off", "revise_sign_off"])
    with _flow_step(task, actor):
        reply.status = ComplaintReply.Status.SIGNED if approve else ComplaintReply.Status.RETURNED
        reply.signed_by, reply.signed_at, reply.sign_off_note = actor, timezone.now(), (note or "").strip()
        reply.save(update_fields=["status", "signed_by", "signed_at", "sign_off_note"])
        _event(complaint, "reply_signed_off" if approve else "reply_sign_off_returned", actor, note=(note or "").strip())
    if not approve:
        _notify_users(_department_people(complaint.department), "reply_sent_back", complaint, text=note)
    return reply


def cancel_pending_requests(complaint: Complaint, actor, note: str) -> None:
    """The case moved on (replied, re-dispatched): pending extension and suspension
    requests no longer apply and are refused with `note`, so none is approved late."""
    for request in extension_cancel_pending(requests=complaint.extension_requests.all(), actor=actor, note=note):
        _event(complaint, "extension_refused", actor, until=request.requested_until.isoformat(), note=note)
    now = timezone.now()
    for suspension in complaint.suspensions.select_for_update().filter(status=Suspension.Status.PENDING):
        suspension.status, suspension.decided_by, suspension.decided_at, suspension.decision_note = Suspension.Status.REFUSED, actor, now, note
        suspension.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _event(complaint, "suspension_refused", actor, note=note)


# --- extensions ----------------------------------------------------------------------------
def _set_handle_deadline(complaint: Complaint, deadline: dt.datetime) -> None:
    """The handling deadline moved: the case and its open handling tasks follow."""
    from workflow.flow.runtime import OPEN_TASK

    from ..models import ComplaintTask
    from ._common import _node

    complaint.deadline = deadline
    complaint.save(update_fields=["deadline"])
    ComplaintTask.objects.filter(
        complaint=complaint, status__in=OPEN_TASK, flow_task__in=[_node(n) for n in (*HANDLE_NODES, "co_opinion")]
    ).update(deadline=deadline)


@transaction.atomic
def complaint_extension_request(*, actor: User, complaint: Complaint, requested_until: dt.date, reason: str) -> ComplaintExtension:
    """延期: asked at least the rule's lead time before the deadline, at most the rule's maximum."""
    complaint = _lock(complaint)
    require(permissions.can_request_extension(actor, complaint))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明延期理由。")})
    if requested_until is None:
        raise ValidationError({"requested_until": _("请填写申请延至的日期。")})
    latest_ask = _latest_extension_ask(complaint.deadline)
    now = timezone.now()
    refusal = extension_can_request(deadline=latest_ask, pending=complaint.extension_requests.filter(status=ComplaintExtension.Status.PENDING).exists(), now=now)
    if refusal:
        if now > latest_ask:
            refusal = _("须在办理期限前至少%(limit)s申请延期。") % {"limit": time_limit_text(case_kind=CASE_KIND, step="extension_request")}
        raise ValidationError(refusal)
    extension_check_dates(
        deadline=complaint.deadline, requested_until=requested_until,
        ceiling=_deadline("extension_max", complaint.deadline),
        ceiling_text=_("原期限后最多%(limit)s") % {"limit": time_limit_text(case_kind=CASE_KIND, step="extension_max")},
    )
    request = ComplaintExtension.objects.create(
        complaint=complaint, department=complaint.department, requested_until=requested_until, reason=reason.strip(), requested_by=actor,
    )
    _event(complaint, "extension_requested", actor, until=requested_until.isoformat(), reason=reason.strip())
    _notify_users(_dispatchers(), "extension_requested", complaint, text=reason)
    return request


def _latest_extension_ask(deadline: dt.datetime) -> dt.datetime:
    """The last moment to ask: `extension_request` working days before the deadline."""
    from workflow.rules import time_limit

    rule = time_limit(case_kind=CASE_KIND, step="extension_request")
    local = timezone.localtime(deadline)
    day = add_working_days(local.date(), -rule.amount) if rule.unit == "wd" else local.date() - dt.timedelta(days=rule.amount)
    return local.replace(year=day.year, month=day.month, day=day.day)


@transaction.atomic
def complaint_extension_decide(*, actor: User, request: ComplaintExtension, approve: bool, note: str = "") -> ComplaintExtension:
    require(permissions.can_decide_requests(actor))
    request = ComplaintExtension.objects.select_for_update(of=("self",)).select_related("complaint").get(pk=request.pk)
    complaint = _lock(request.complaint)
    if approve and complaint.status != Complaint.Status.HANDLING:
        raise ValidationError(_("工单已不在办理中（%(status)s），不能再延期。") % {"status": complaint.get_status_display()})
    extension_record_decision(request=request, actor=actor, approve=approve, note=note)
    if approve:
        from workflow.workdays import end_of_day

        _set_handle_deadline(complaint, end_of_day(request.requested_until))
        _event(complaint, "extended", actor, until=request.requested_until.isoformat(), note=note)
        _tell_citizen(complaint, _("办理期限延至%(date)s。") % {"date": request.requested_until.isoformat()})
    else:
        _event(complaint, "extension_refused", actor, until=request.requested_until.isoformat(), note=note)
    _notify_users([request.requested_by], "extension_approved" if approve else "extension_refused", complaint, text=note)
    return request


# --- suspensions (挂起) ----------------------------------------------------------------------
@transaction.atomic
def complaint_suspension_request(*, actor: User, complaint: Complaint, reason: str) -> Suspension:
    complaint = _lock(complaint)
    require(permissions.can_request_suspension(actor, complaint))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明挂起理由（等待群众补充材料、第三方鉴定等）。")})
    suspension = Suspension.objects.create(
        complaint=complaint, department=complaint.department, reason=reason.strip(), requested_by=actor, requested_at=timezone.now(),
    )
    _event(complaint, "suspension_requested", actor, reason=reason.strip())
    _notify_users(_dispatchers(), "suspension_requested", complaint, text=reason)
    return suspension


@transaction.atomic
def complaint_suspension_decide(*, actor: User, suspension: Suspension, approve: bool, note: str = "") -> Suspension:
    require(permissions.can_decide_requests(actor))
    suspension = Suspension.objects.select_for_update(of=("self",)).select_related("complaint").get(pk=suspension.pk)
    complaint = _lock(suspension.complaint)
    if suspension.status != Suspension.Status.PENDING:
        raise ValidationError(_("该申请已审批。"))
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("不同意挂起须说明理由。")})
    now = timezone.now()
    if approve and (complaint.is_suspended or complaint.status not in (Complaint.Status.HANDLING, Complaint.Status.RECTIFYING)):
        raise ValidationError(_("工单当前不能挂起（%(status)s）。") % {"status": complaint.get_status_display()})
    suspension.status = Suspension.Status.ACTIVE if approve else Suspension.Status.REFUSED
    suspension.decided_by, suspension.decided_at, suspension.decision_note = actor, now, (note or "").strip()
    fields = ["status", "decided_by", "decided_at", "decision_note"]
    if approve:
        suspension.started_at = now
        fields.append("started_at")
        complaint.suspended_since = now
        complaint.save(update_fields=["suspended_since"])
        _event(complaint, "suspended", actor, reason=suspension.reason)
        _tell_citizen(complaint, _("因需等待补充材料或第三方意见暂停计时：%(reason)s") % {"reason": suspension.reason})
    else:
        _event(complaint, "suspension_refused", actor, note=note)
    suspension.save(update_fields=fields)
    _notify_users([suspension.requested_by], "suspended" if approve else "suspension_refused", complaint, text=note)
    return suspension


# Office hours: a working day counts as suspended when the suspension covers any of them.
OFFICE_OPENS, OFFICE_CLOSES = dt.time(8, 30), dt.time(17, 30)


def suspended_working_days(started: dt.datetime, ended: dt.datetime) -> int:
    """The working days whose office hours the suspension overlaps (a deadline is
    the end of a working day, so a part of a day gives the whole day back)."""
    from workflow.models import CalendarDay
    from workflow.workdays import _require_years

    start, end = timezone.localtime(started), timezone.localtime(ended)
    if end <= start:
        return 0
    _require_years(start.year, end.year)
    days = CalendarDay.objects.filter(date__gte=start.date(), date__lte=end.date(), is_working_day=True).values_list("date", flat=True)
    count = 0
    for day in days:
        opens = timezone.make_aware(dt.datetime.combine(day, OFFICE_OPENS), start.tzinfo)
        closes = timezone.make_aware(dt.datetime.combine(day, OFFICE_CLOSES), start.tzinfo)
        if start < closes and end > opens:
            count += 1
    return count


def shift_for_suspension(deadline: dt.datetime, started: dt.datetime, ended: dt.datetime, unit_hours: bool) -> dt.datetime:
    """The deadline moves by the suspended time: wall-clock for limits in hours,
    otherwise by the working days whose office hours the suspension overlapped."""
    if unit_hours:
        return deadline + (ended - started)
    days = suspended_working_days(started, ended)
    if days <= 0:
        return deadline
    local = timezone.localtime(deadline)
    new_day = add_working_days(local.date(), days)
    return local.replace(year=new_day.year, month=new_day.month, day=new_day.day)


@transaction.atomic
def complaint_resume(*, actor: User, complaint: Complaint, note: str = "") -> Complaint:
    """End the suspension: the deadline is moved by the suspended time, which is
    also kept (suspended_seconds) and left out of the handling-time figures."""
    complaint = _lock(complaint)
    require(permissions.can_resume(actor, complaint))
    suspension = complaint.suspensions.select_for_update().filter(status=Suspension.Status.ACTIVE).first()
    if not complaint.is_suspended or suspension is None:
        raise ValidationError(_("工单没有挂起。"))
    now = timezone.now()
    from workflow.rules import time_limit

    from ._common import handle_category

    hours = time_limit(case_kind=CASE_KIND, step="handle", category=handle_category(complaint)).unit == "hours"
    handling = complaint.status == Complaint.Status.HANDLING
    new_deadline = shift_for_suspension(complaint.deadline, complaint.suspended_since, now, hours) if complaint.deadline and handling else None
    complaint.suspended_seconds += int((now - complaint.suspended_since).total_seconds())
    complaint.suspended_since = None
    complaint.save(update_fields=["suspended_seconds", "suspended_since"])
    if new_deadline:
        _set_handle_deadline(complaint, new_deadline)
    if complaint.rectify_due and complaint.status == Complaint.Status.RECTIFYING:
        from workflow.flow.runtime import OPEN_TASK

        from ..models import ComplaintTask
        from ._common import _node

        complaint.rectify_due = shift_for_suspension(complaint.rectify_due, suspension.started_at, now, False)
        complaint.save(update_fields=["rectify_due"])
        ComplaintTask.objects.filter(complaint=complaint, status__in=OPEN_TASK, flow_task=_node("rectify")).update(deadline=complaint.rectify_due)
    suspension.status, suspension.ended_at, suspension.ended_by = Suspension.Status.ENDED, now, actor
    suspension.save(update_fields=["status", "ended_at", "ended_by"])
    _event(complaint, "resumed", actor, until=timezone.localtime(complaint.deadline).date().isoformat() if complaint.deadline else "", note=note)
    _tell_citizen(complaint, _("已恢复办理，预计%(date)s前答复。") % {"date": timezone.localtime(complaint.deadline).strftime("%Y-%m-%d")} if complaint.deadline else _("已恢复办理。"))
    return complaint

