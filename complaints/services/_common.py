"""Shared by the complaint services: the engine's checks, events, deadlines,
people and flow runtime, for complaints."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.utils.translation import gettext as _

from workflow import services as engine
from workflow import sms
from workflow.deadlines import deadlines_remember
from workflow.flow.runtime import flow_step, open_task, step_deadline
from workflow.models import Department, User

from ..models import Complaint, ComplaintTask, Kind
from ..roles import Role

CASE_KIND = "complaint"  # the time-limit rules' case kind
RATING_SCALE = "haocha_rating"  # the 好差评 five-level scale
INDICATOR_SCALE = "haocha_indicator"  # its sub-ratings (分项评价): codes and labels are rows of this scale


def _deadline(step: str, start: dt.datetime, category: str = "") -> dt.datetime:
    return step_deadline(case_kind=CASE_KIND, step=step, start=start, category=category)


def _remember(objs, *fields: str) -> None:
    """The deadlines just saved on these objects (of one model) follow a calendar
    correction when they were computed from the rules (workflow.deadlines)."""
    deadlines_remember(objs=list(objs), fields=fields)


def handle_category(complaint: Complaint) -> str:
    """The handling limit depends on the kind: urgent (hours), consultation/help, or the default (complaint, suggestion)."""
    return complaint.kind if complaint.kind in (Kind.URGENT, Kind.CONSULTATION) else ""


def _event(complaint: Complaint, type: str, actor, from_state="", to_state="", **payload):
    engine.event_record(case=complaint, type=type, actor=actor, from_state=from_state, to_state=to_state, payload=payload)


def _set_status(complaint: Complaint, status: str, actor, event: str, extra_fields=(), **payload):
    engine.case_set_status(case=complaint, status=status, actor=actor, event=event, extra_fields=extra_fields, **payload)


def _notify_users(users, kind: str, complaint: Complaint, **params):
    """Notify people about a work order: a kind of complaints.notifications and its params (rendered when read)."""
    engine.notify_on_commit(
        users=users, kind=f"complaint.{kind}", params={"complaint": complaint.pk, "number": complaint.number, "title": complaint.safe_title, **params},
    )


def _department_people(department: Department, role: str = Role.HANDLER) -> list[User]:
    return engine.role_people(role=role, department=department)


def _dispatchers() -> list[User]:
    return engine.role_people(role=Role.DISPATCHER)




def _node(name: str):
    from ..flows import ComplaintFlow

    return getattr(ComplaintFlow, name)


def _open_task(complaint: Complaint, nodes, **data) -> ComplaintTask:
    names = [nodes] if isinstance(nodes, str) else list(nodes)
    return open_task(task_model=ComplaintTask, case_field="complaint", case=complaint, nodes=[_node(n) for n in names], **data)


def _has_open_task(complaint: Complaint, nodes) -> bool:
    from workflow.flow.runtime import OPEN_TASK

    names = [nodes] if isinstance(nodes, str) else list(nodes)
    return ComplaintTask.objects.filter(complaint=complaint, flow_task__in=[_node(n) for n in names], status__in=OPEN_TASK).exists()


def _flow_step(task: ComplaintTask, actor: User, *, on_behalf: bool = False):
    return flow_step(task, actor, busy_message=_("该工单正由他人同时办理，请稍后刷新重试。"), on_behalf=on_behalf)


def _lock(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update(of=("self",)).select_related("category", "department").get(pk=complaint.pk)


def store_attachment(*, complaint: Complaint, upload, uploaded_by, now, note=None, is_public: bool = True):
    """Save a checked upload (complaints.attachments.CheckedUpload) under its SHA-256, never its own name."""
    from ..models import Attachment

    attachment = Attachment(
        complaint=complaint, note=note, name=upload.name, content_type=upload.content_type, extension=upload.extension,
        size=upload.size, sha256=upload.sha256, uploaded_by=uploaded_by, is_public=is_public, created_at=now,
    )
    upload.file.seek(0)
    attachment.file.save(f"{upload.sha256}{upload.extension}", upload.file, save=False)
    attachment.save()
    return attachment


# --- the citizen ----------------------------------------------------------------------
def secret_hash(value: str) -> str:
    """Query codes and link tokens are stored as keyed hashes, never in clear."""
    return hmac.new(settings.SECRET_KEY.encode(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


def _tell_citizen(complaint: Complaint, text: str, *, own: str = "", secret: str = "", to_merged: bool = True) -> None:
    """Every state change is told to the citizen who left a phone (after commit).
    `own` is added for this complaint's citizen only (a query code, a rating
    link: `secret` is kept out of logs); citizens of complaints merged into this
    one hear the common `text` about the case they follow, unless `to_merged` is False."""
    prefix = _("【12345】您的诉求%(number)s") % {"number": complaint.number}
    sms.send_on_commit(phone=complaint.citizen_phone, text=f"{prefix}{text}{own}", secrets=(secret,) if secret else ())
    if not to_merged:
        return
    for merged in complaint.merged.exclude(citizen_phone="").only("number", "citizen_phone"):
        sms.send_on_commit(
            phone=merged.citizen_phone,
            text=_("【12345】您的诉求%(number)s（已并入%(target)s办理）%(text)s") % {"number": merged.number, "target": complaint.number, "text": text},
        )


def system_user() -> User:
    """The account recorded as the actor of what a citizen does without an
    account (rating through a link, saying "not resolved"): the flow's tasks
    need an owner. Inactive, no usable password, never logs in."""
    user, created = User.objects.get_or_create(username="citizen-portal", defaults={"full_name": _("群众（公众服务）"), "is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
