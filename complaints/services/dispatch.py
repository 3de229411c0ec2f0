"""The dispatcher's desk: dispatch (派单) to a lead and co-handling
departments, not accepted (不予受理), merge duplicates (并案), split a case of
several matters (拆分), and rulings on returns (退单)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.models import Department, User
from workflow.selectors import require_role
from workflow.services import require_status

from ..models import Complaint, Dispatch, NotAcceptedReason
from ..roles import Role
from ._common import (
    _deadline,
    _remember,
    _department_people,
    _event,
    _flow_step,
    _lock,
    _notify_users,
    _open_task,
    _set_status,
    _tell_citizen,
    handle_category,
)


def _check_departments(lead: Department | None, co: list[Department]) -> list[Department]:
    errors = {}
    if lead is None or not lead.is_active:
        errors["department"] = _("请选择主办单位。")
    co = [d for d in dict.fromkeys(co or [])]
    if lead is not None and lead in co:
        errors["co_departments"] = _("协办单位不能与主办单位相同。")
    inactive = [str(d) for d in co if not d.is_active]
    if inactive:
        errors["co_departments"] = _("单位已停用：%(names)s") % {"names": "、".join(inactive)}
    if errors:
        raise ValidationError(errors)
    return co


@transaction.atomic
def complaint_dispatch(*, actor: User, complaint: Complaint, department: Department, co_departments=(), note: str = "", suggested_rule: str = "") -> Complaint:
    """派单: the lead department answers; co-handling departments send it their opinion."""
    require_role(user=actor, role=Role.DISPATCHER)
    complaint = _lock(complaint)
    require_status(complaint, [Complaint.Status.NEW], _("只有待派单的工单可以派单。"))
    co = _check_departments(department, list(co_departments))
    now = timezone.now()
    sign_due, return_due = _deadline("sign", now), _deadline("return", now)
    task = _open_task(complaint, "triage")
    with _flow_step(task, actor):
        _remember([
            Dispatch.objects.create(
                complaint=complaint, department=dept, role=role, dispatched_by=actor, dispatched_at=now,
                sign_due=sign_due, return_due=return_due, suggested_rule=suggested_rule if role == Dispatch.Role.LEAD else "",
            )
            for dept, role in [(department, Dispatch.Role.LEAD)] + [(d, Dispatch.Role.CO) for d in co]
        ], "sign_due", "return_due")
        complaint.department = department
        complaint.dispatched_at = now
        complaint.deadline = _deadline("handle", now, category=handle_category(complaint))
        _set_status(
            complaint, Complaint.Status.DISPATCHED, actor, "dispatched", extra_fields=["department", "dispatched_at", "deadline"],
            department=department.pk, department_name=department.short_name or department.name,
            departments=[d.pk for d in co], note=note,
        )
        _remember([complaint], "deadline")
    for dept in [department, *co]:
        _notify_users(_department_people(dept), "dispatched", complaint)
    _tell_citizen(complaint, _("已转%(dept)s办理，预计%(date)s前答复。") % {
        "dept": department.short_name or department.name, "date": timezone.localtime(complaint.deadline).strftime("%Y-%m-%d %H:%M"),
    })
    return complaint


@transaction.atomic
def complaint_not_accept(*, actor: User, complaint: Complaint, reason: NotAcceptedReason | None, note: str = "") -> Complaint:
    """不予受理, with a standard reason that says where to go instead."""
    require_role(user=actor, role=Role.DISPATCHER)
    complaint = _lock(complaint)
    require_status(complaint, [Complaint.Status.NEW], _("只有待派单的工单可以不予受理。"))
    if reason is None or not reason.is_active:
        raise ValidationError({"reason": _("请选择不予受理的理由。")})
    task = _open_task(complaint, "triage")
    with _flow_step(task, actor):
        complaint.not_accepted_reason = reason
        complaint.closed_at = timezone.now()
        _set_status(complaint, Complaint.Status.NOT_ACCEPTED, actor, "not_accepted", extra_fields=["not_accepted_reason", "closed_at"],
                    reason=reason.text, redirect_to=reason.redirect_to, note=note)
    text = _("不予受理：%(reason)s。") % {"reason": reason.text}
    if reason.redirect_to:
        text += reason.redirect_to + "。"
    _tell_citizen(complaint, text)
    return complaint


@transaction.atomic
def complaint_merge(*, actor: User, complaint: Complaint, target: Complaint | None, note: str = "") -> Complaint:
    """并案: the complaint follows the target; its citizen gets the target's reply."""
    require_role(user=actor, role=Role.DISPATCHER)
    complaint = _lock(complaint)
    require_status(complaint, [Complaint.Status.NEW], _("只有待派单的工单可以并案。"))
    if target is None:
        raise ValidationError({"target": _("请选择并入的工单。")})
    target = Complaint.objects.select_for_update().get(pk=target.pk)
    if target.pk == complaint.pk:
        raise ValidationError({"target": _("不能并入自身。")})
    # Only into a case still being handled: the merged citizens are to get its reply.
    if target.status not in (Complaint.Status.NEW, Complaint.Status.DISPATCHED, Complaint.Status.HANDLING, Complaint.Status.REVIEWING):
        raise ValidationError({"target": _("目标工单%(number)s已%(status)s，不能并入。") % {"number": target.number, "status": target.get_status_display()}})
    task = _open_task(complaint, "triage")
    with _flow_step(task, actor):
        complaint.merged_into = target
        complaint.closed_at = timezone.now()
        _set_status(complaint, Complaint.Status.MERGED, actor, "merged", extra_fields=["merged_into", "closed_at"], target=target.number, note=note)
        # Complaints already merged into this one follow the target too (no chains).
        followers = list(Complaint.objects.select_for_update().filter(merged_into=complaint))
        for follower in followers:
            follower.merged_into = target
            follower.save(update_fields=["merged_into"])
        target.followers_count += 1 + len(followers)
        target.save(update_fields=["followers_count"])
        _event(target, "followed", actor, payload_merged=complaint.number)
    _tell_citizen(complaint, _("与%(target)s反映的是同一问题，已合并办理，答复将一并告知您。") % {"target": target.number})
    return complaint


@transaction.atomic
def complaint_split(*, actor: User, complaint: Complaint, parts: list[dict], note: str = "") -> list[Complaint]:
    """拆分: one case holding several matters becomes one new case per matter
    ({"title", "description", "category"}), each dispatched on its own; the
    citizen's details and attachments go with every part."""
    from ..flows import ComplaintFlow
    from .intake import _next_number

    require_role(user=actor, role=Role.DISPATCHER)
    complaint = _lock(complaint)
    require_status(complaint, [Complaint.Status.NEW], _("只有待派单的工单可以拆分。"))
    parts = [p for p in parts or [] if (p.get("title") or "").strip() or (p.get("description") or "").strip()]
    if len(parts) < 2:
        raise ValidationError({"parts": _("拆分须至少分为两件，每件写明标题和内容。")})
    errors = {}
    for i, part in enumerate(parts, start=1):
        if not (part.get("title") or "").strip() or not (part.get("description") or "").strip():
            errors[f"part_{i}"] = _("第%(n)d件须写明标题和内容。") % {"n": i}
        elif len(part["title"].strip()) > Complaint._meta.get_field("title").max_length:
            errors[f"part_{i}"] = _("第%(n)d件的标题过长。") % {"n": i}
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    created = []
    task = _open_task(complaint, "triage")
    with _flow_step(task, actor):
        for part in parts:
            child = Complaint.objects.create(
                number=_next_number(now), query_code_hash=complaint.query_code_hash, kind=complaint.kind,
                category=part.get("category") or complaint.category, channel=complaint.channel,
                title=part["title"].strip(), description=part["description"].strip(), hall=complaint.hall, window=complaint.window,
                address=complaint.address, latitude=complaint.latitude, longitude=complaint.longitude, occurred_at=complaint.occurred_at,
                answers=complaint.answers, citizen_name=complaint.citizen_name, citizen_phone=complaint.citizen_phone,
                citizen_id_number=complaint.citizen_id_number, citizen_email=complaint.citizen_email, citizen_address=complaint.citizen_address,
                received_by=complaint.received_by, received_at=complaint.received_at, dispatch_due=complaint.dispatch_due,
                split_from=complaint,
            )
            for attachment in complaint.attachments.all():
                attachment.pk = None
                attachment.complaint = child
                attachment.save()
            _event(child, "received", actor, to_state=Complaint.Status.NEW, channel=child.channel, target=complaint.number)
            created.append(child)
        complaint.closed_at = now
        _set_status(complaint, Complaint.Status.SPLIT, actor, "split", extra_fields=["closed_at"], parts=[c.number for c in created], note=note)
    for child in created:
        ComplaintFlow.start.run(complaint=child)
    # The parts keep the original's query code: the citizen follows each with the code they already have.
    _tell_citizen(complaint, _("含多项诉求，已拆分为%(numbers)s分别办理，可用原查询码查询。") % {"numbers": "、".join(c.number for c in created)})
    return created


# --- returns (退单) -----------------------------------------------------------------
@transaction.atomic
def dispatch_return_decide(*, actor: User, dispatch: Dispatch, accept: bool, department: Department | None = None, note: str = "") -> Dispatch:
    """A department returned the case: the dispatcher re-dispatches it to
    another department (the return was proper) or rules it improper (the
    department must handle it, and the improper return counts against it)."""
    require_role(user=actor, role=Role.DISPATCHER)
    dispatch = Dispatch.objects.select_for_update(of=("self",)).select_related("complaint", "department").get(pk=dispatch.pk)
    complaint = _lock(dispatch.complaint)
    if dispatch.status != Dispatch.Status.RETURNED:
        raise ValidationError(_("该派单没有待审核的退单。"))
    if accept:
        if department is None or not department.is_active:
            raise ValidationError({"department": _("请选择改派的单位。")})
        if department.pk == dispatch.department_id:
            raise ValidationError({"department": _("改派单位不能是退单的单位；认为退单不当请选择“退单不当”。")})
        if complaint.dispatches.filter(department=department).exclude(status=Dispatch.Status.REDIRECTED).exists():
            raise ValidationError({"department": _("该单位已在承办此工单。")})
    elif not (note or "").strip():
        raise ValidationError({"note": _("认定退单不当须说明理由。")})
    now = timezone.now()
    task = _open_task(complaint, "return_decide", dispatch_id=dispatch.pk)
    old_department = dispatch.department
    with _flow_step(task, actor) as activation:
        if accept:
            # The returned dispatch stays as it was (the record of the return); the case continues under a new one.
            dispatch.status = Dispatch.Status.REDIRECTED
            dispatch.save(update_fields=["status"])
            new = Dispatch.objects.create(
                complaint=complaint, department=department, role=dispatch.role, dispatched_by=actor, dispatched_at=now,
                sign_due=_deadline("sign", now), return_due=_deadline("return", now),
            )
            _remember([new], "sign_due", "return_due")
            # The sign task that follows is about the new dispatch (carried in task data).
            activation.task.data = {**(activation.task.data or {}), "dispatch_id": new.pk}
            if dispatch.role == Dispatch.Role.LEAD:
                from .handling import cancel_pending_requests

                complaint.department = department
                complaint.deadline = _deadline("handle", now, category=handle_category(complaint))
                complaint.save(update_fields=["department", "deadline"])
                _remember([complaint], "deadline")
                cancel_pending_requests(complaint, actor, _("已改派其他单位，申请不再适用。"))
            _event(complaint, "redispatched", actor, department=department.pk, department_name=department.short_name or department.name,
                   from_department=old_department.pk, note=note)
            result = new
        else:
            dispatch.status = Dispatch.Status.DISPATCHED
            dispatch.return_improper = True
            dispatch.sign_due = _deadline("sign", now)
            dispatch.return_due = now  # ruled improper: the department signs, it cannot return the case again
            dispatch.save(update_fields=["status", "return_improper", "sign_due", "return_due"])
            _remember([dispatch], "sign_due", "return_due")
            _event(complaint, "return_improper", actor, department=old_department.pk, department_name=old_department.short_name or old_department.name, note=note)
            result = dispatch
    if accept and dispatch.role == Dispatch.Role.LEAD:
        _tell_citizen(complaint, _("已改由%(dept)s办理，预计%(date)s前答复。") % {
            "dept": department.short_name or department.name, "date": timezone.localtime(complaint.deadline).strftime("%Y-%m-%d %H:%M"),
        })
    target = department if accept else old_department
    _notify_users(_department_people(target), "redispatched", complaint)
    if not accept:
        _notify_users(_department_people(old_department), "return_refused", complaint, text=note)
    return result


def flow_dispatch_items(*, complaint: Complaint) -> list[dict]:
    """One sign task per department the case was dispatched to."""
    return [{"dispatch_id": d.pk} for d in complaint.dispatches.filter(status=Dispatch.Status.DISPATCHED).order_by("pk")]
