"""From the reply to closure: the dispatcher's review of the reply, delivery
to the citizen, the call-back and the rating (hotline or one-time link),
"not resolved" reopening, rectification after a bad review and its
follow-up rating, closure, and appeals against bad reviews (申诉复核)."""
from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.handling import evaluation_check_codes, evaluation_is_negative
from workflow.models import User
from workflow.permissions import require
from workflow.rules import label_codes, label_for
from workflow.selectors import require_role
from workflow.services import check_lengths, require_status

from .. import permissions
from ..permissions import can_say_not_resolved  # noqa: F401  (services.can_say_not_resolved for the pages and API)
from ..models import Appeal, CitizenLink, Complaint, ComplaintRating, ComplaintReply, Dispatch
from ..roles import Role
from ._common import (
    INDICATOR_SCALE,
    RATING_SCALE,
    _deadline,
    _remember,
    _department_people,
    _dispatchers,
    _event,
    _flow_step,
    _lock,
    _notify_users,
    _open_task,
    _set_status,
    _tell_citizen,
    secret_hash,
    system_user,
)

CALLBACK_NODES = ("callback", "followup")


# --- review of the reply ----------------------------------------------------------------
def complaint_begin_review(*, complaint: Complaint) -> Complaint:
    """Every department has answered (the lead's reply, the co-handlers' opinions): the dispatcher reviews."""
    complaint = _lock(complaint)
    require_status(complaint, [Complaint.Status.HANDLING], _("工单不在办理中。"))
    _set_status(complaint, Complaint.Status.REVIEWING, None, "review_started", round=complaint.handling_round)
    return complaint


@transaction.atomic
def complaint_review_reply(*, actor: User, complaint: Complaint, approve: bool, note: str = "") -> ComplaintReply:
    """The dispatcher passes the reply (it goes to the citizen) or returns it with reasons."""
    require_role(user=actor, role=Role.DISPATCHER)
    complaint = _lock(complaint)
    require_status(complaint, [Complaint.Status.REVIEWING], _("工单没有待审核的答复。"))
    reply = complaint.current_reply(ComplaintReply.Status.SIGNED)
    if reply is None:
        raise ValidationError(_("工单没有待审核的答复。"))
    if not approve and not (note or "").strip():
        raise ValidationError({"note": _("退回答复须说明理由。")})
    task = _open_task(complaint, "review")
    now = timezone.now()
    with _flow_step(task, actor):
        reply.status = ComplaintReply.Status.PASSED if approve else ComplaintReply.Status.RETURNED
        reply.reviewed_by, reply.reviewed_at, reply.review_note = actor, now, (note or "").strip()
        reply.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        if approve:
            _event(complaint, "reply_passed", actor, note=note)
        else:
            _set_status(complaint, Complaint.Status.HANDLING, actor, "reply_returned", note=note)
    if not approve:
        _notify_users(_department_people(complaint.department), "reply_returned", complaint, text=note)
    return reply


def _issue_link(complaint: Complaint, purpose: str, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(24)
    CitizenLink.objects.create(
        complaint=complaint, purpose=purpose, token_hash=secret_hash(token), round=complaint.handling_round,
        created_at=now, expires_at=_deadline("rating_link", now),
    )
    return token


def rating_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("complaints_public:rate", args=[token])


def complaint_deliver(*, complaint: Complaint) -> Complaint:
    """The reply passed review: the citizen is told and asked to rate (a one-time link); the hotline calls back."""
    complaint = _lock(complaint)
    require_status(complaint, [Complaint.Status.REVIEWING], _("工单没有待送达的答复。"))
    now = timezone.now()
    complaint.replied_at = now
    complaint.callback_due = _deadline("callback", now)
    _set_status(complaint, Complaint.Status.REPLIED, None, "replied", extra_fields=["replied_at", "callback_due"], round=complaint.handling_round)
    _remember([complaint], "callback_due")
    Dispatch.objects.filter(complaint=complaint, role=Dispatch.Role.LEAD, status=Dispatch.Status.SIGNED).update(status=Dispatch.Status.DONE)
    token = _issue_link(complaint, CitizenLink.Purpose.RATE, now)
    _tell_citizen(complaint, _("已答复，请凭编号和查询码查看答复。"), own=_("请通过此链接评价：%(url)s") % {"url": rating_url(token)}, secret=token)
    _notify_users(_dispatchers(), "replied", complaint)
    return complaint


# --- ratings ----------------------------------------------------------------------------------
def _record_rating(complaint: Complaint, *, rating: str, comment: str, indicators: dict | None, source: str, recorded_by: User | None, followup: bool, now: dt.datetime) -> ComplaintRating:
    evaluation_check_codes(scale=RATING_SCALE, ratings={"rating": rating}, messages={"rating": _("请选择评价。")})
    bad = evaluation_is_negative(scale=RATING_SCALE, codes=[rating])
    if bad and not (comment or "").strip():
        raise ValidationError({"comment": _("请说明不满意的原因，以便整改。")})
    check_lengths(model=ComplaintRating, values={"comment": comment})
    unknown = set(indicators or {}) - label_codes(INDICATOR_SCALE)
    if unknown:
        raise ValidationError({"indicators": _("未知的分项评价：%(keys)s。") % {"keys": "、".join(sorted(str(k)[:32] for k in unknown))}})
    clean_indicators = {}
    for key, value in (indicators or {}).items():
        if value:
            evaluation_check_codes(scale=RATING_SCALE, ratings={key: value}, messages={key: _("分项评价无效。")})
            clean_indicators[key] = value
    rated = ComplaintRating.objects.create(
        complaint=complaint, round=complaint.handling_round, is_followup=followup, rating=rating, indicators=clean_indicators,
        comment=(comment or "").strip(), source=source, recorded_by=recorded_by, is_bad=bad, created_at=now,
    )
    complaint.rating, complaint.rated_at = rating, now
    fields = ["rating", "rated_at"]
    if source == ComplaintRating.Source.CALLBACK:
        complaint.called_back_at = now
        fields.append("called_back_at")
    complaint.save(update_fields=fields)
    return rated


def _after_rating(complaint: Complaint, rated: ComplaintRating, actor, now: dt.datetime) -> None:
    label = label_for(RATING_SCALE, rated.rating)
    if rated.is_bad and not rated.is_followup:
        complaint.rectify_due = _deadline("rectify", now)
        complaint.contact_due = _deadline("bad_review_contact", now)
        _set_status(complaint, Complaint.Status.RECTIFYING, actor, "rectification", extra_fields=["rectify_due", "contact_due"], rating=rated.rating)
        _remember([complaint], "rectify_due", "contact_due")
        _notify_users(
            _department_people(complaint.department) + _department_people(complaint.department, Role.DEPT_LEADER),
            "bad_review", complaint, rating=rated.rating, text=rated.comment,
        )
        _tell_citizen(complaint, _("收到您的评价“%(label)s”，承办单位将联系您并整改。") % {"label": label}, to_merged=False)
    else:
        _event(complaint, "rated", actor, rating=rated.rating)
        complaint_close(complaint=complaint)


@transaction.atomic
def complaint_callback(*, actor: User, complaint: Complaint, rating: str = "", comment: str = "", indicators: dict | None = None, unreachable: bool = False, not_resolved: bool = False) -> Complaint:
    """回访: the hotline records the citizen's rating, that the citizen could not
    be reached (the case closes unrated), or that it is not resolved (reopened)."""
    require_role(user=actor, role=Role.DISPATCHER)
    complaint = _lock(complaint)
    require_status(complaint, [Complaint.Status.REPLIED], _("工单不在待回访状态。"))
    if not_resolved:
        return _reopen(complaint, actor=actor, reason=comment, on_behalf=False)
    task = _open_task(complaint, CALLBACK_NODES)
    followup = task.flow_task.name == "followup"
    now = timezone.now()
    with _flow_step(task, actor):
        if unreachable:
            complaint.called_back_at = now
            complaint.save(update_fields=["called_back_at"])
            _event(complaint, "callback_unreachable", actor, note=comment)
            rated = None
        else:
            rated = _record_rating(complaint, rating=rating, comment=comment, indicators=indicators, source=ComplaintRating.Source.CALLBACK,
                                   recorded_by=actor, followup=followup, now=now)
        CitizenLink.objects.filter(complaint=complaint, used_at__isnull=True).update(used_at=now)
        # Before the task completes: the flow's next gateway reads the new status.
        if rated is None:
            complaint_close(complaint=complaint)
        else:
            _after_rating(complaint, rated, actor, now)
    return complaint


def link_get(*, token: str) -> CitizenLink | None:
    """The valid, unused link for a token (None otherwise: the same answer for unknown, used or expired)."""
    if not token or len(token) > 64:
        return None
    link = CitizenLink.objects.select_related("complaint").filter(token_hash=secret_hash(token)).first()
    if link is None or link.used_at is not None or link.expires_at < timezone.now():
        return None
    return link


@transaction.atomic
def complaint_rate_by_link(*, token: str, rating: str, comment: str = "", indicators: dict | None = None) -> Complaint:
    """The citizen rates through the one-time link (no account)."""
    link = link_get(token=token)
    if link is None:
        raise ValidationError(_("评价链接无效、已使用或已过期。"))
    link = CitizenLink.objects.select_for_update().get(pk=link.pk)
    complaint = _lock(link.complaint)
    if link.used_at is not None or complaint.status != Complaint.Status.REPLIED:
        raise ValidationError(_("评价链接无效、已使用或已过期。"))
    task = _open_task(complaint, CALLBACK_NODES)
    now = timezone.now()
    portal = system_user()
    with _flow_step(task, portal, on_behalf=True):
        rated = _record_rating(complaint, rating=rating, comment=comment, indicators=indicators, source=ComplaintRating.Source.LINK,
                               recorded_by=None, followup=task.flow_task.name == "followup", now=now)
        link.used_at = now
        link.save(update_fields=["used_at"])
        _after_rating(complaint, rated, None, now)
    return complaint


@transaction.atomic
def complaint_not_resolved(*, token: str, reason: str) -> Complaint:
    """The citizen says "not resolved" through the link: the case goes back to the department."""
    link = link_get(token=token)
    if link is None:
        raise ValidationError(_("链接无效、已使用或已过期。"))
    link = CitizenLink.objects.select_for_update().get(pk=link.pk)
    complaint = _lock(link.complaint)
    if link.purpose != CitizenLink.Purpose.RATE:
        # After rectification the citizen gives one follow-up rating; the case is not reopened again.
        raise ValidationError(_("整改后的评价链接只能用于评价。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明哪些问题没有解决。")})
    result = _reopen(complaint, actor=None, reason=reason, on_behalf=True)
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return result


def _reopen(complaint: Complaint, *, actor, reason: str, on_behalf: bool) -> Complaint:
    if not can_say_not_resolved(complaint):
        raise ValidationError(_("答复后%(limit)s内、评价前才能反馈“未解决”。") % {"limit": _reopen_text()})
    if not (reason or "").strip():
        raise ValidationError({"comment": _("请说明哪些问题没有解决。")})
    task = _open_task(complaint, CALLBACK_NODES)
    now = timezone.now()
    with _flow_step(task, actor or system_user(), on_behalf=on_behalf):
        complaint.handling_round += 1
        complaint.deadline = _deadline("rehandle", now)
        complaint.replied_at = None
        _set_status(complaint, Complaint.Status.HANDLING, actor, "reopened", extra_fields=["handling_round", "deadline", "replied_at"],
                    round=complaint.handling_round, reason=reason.strip())
        _remember([complaint], "deadline")
        CitizenLink.objects.filter(complaint=complaint, used_at__isnull=True).update(used_at=now)
    _notify_users(_department_people(complaint.department), "reopened", complaint, text=reason)
    _tell_citizen(complaint, _("已收到您“未解决”的反馈，已退回承办单位重新办理。"), to_merged=False)
    return complaint


def _reopen_text() -> str:
    from workflow.rules import time_limit_text

    return time_limit_text(case_kind="complaint", step="reopen_window")


# --- rectification (整改) ------------------------------------------------------------------------
@transaction.atomic
def complaint_rectify(*, actor: User, complaint: Complaint, report: str) -> Complaint:
    """整改反馈 after a bad review; the citizen is then asked for one follow-up rating."""
    complaint = _lock(complaint)
    require_role(user=actor, role=Role.HANDLER, department=complaint.department)
    require_status(complaint, [Complaint.Status.RECTIFYING], _("工单不在整改中。"))
    if not (report or "").strip():
        raise ValidationError({"report": _("请填写整改情况。")})
    check_lengths(model=ComplaintReply, values={"body": report}, keys={"body": "report"})
    if complaint.is_suspended:
        raise ValidationError(_("工单已挂起，请先恢复办理。"))
    task = _open_task(complaint, "rectify")
    now = timezone.now()
    with _flow_step(task, actor):
        complaint.handling_round += 1
        ComplaintReply.objects.create(
            complaint=complaint, round=complaint.handling_round, body=report.strip(), status=ComplaintReply.Status.PASSED,
            written_by=actor, written_at=now, reviewed_at=now,
        )
        # replied_at keeps the reply's time (the ledger's on-time reply); the follow-up is timed from now.
        complaint.rectified_at = now
        complaint.callback_due = _deadline("callback", now)
        _set_status(complaint, Complaint.Status.REPLIED, actor, "rectified", extra_fields=["handling_round", "rectified_at", "callback_due"], round=complaint.handling_round)
        _remember([complaint], "callback_due")
    token = _issue_link(complaint, CitizenLink.Purpose.FOLLOWUP, now)
    _tell_citizen(complaint, _("整改情况已反馈。"), own=_("请通过此链接再次评价：%(url)s") % {"url": rating_url(token)}, secret=token)
    _notify_users(_dispatchers(), "rectified", complaint)
    return complaint


def complaint_close(*, complaint: Complaint) -> Complaint:
    """办结 (called inside the rating's transaction, or by the flow)."""
    complaint = _lock(complaint)
    if complaint.status == Complaint.Status.CLOSED:
        return complaint
    complaint.closed_at = timezone.now()
    _set_status(complaint, Complaint.Status.CLOSED, None, "closed", extra_fields=["closed_at"])
    _tell_citizen(complaint, _("已办结。感谢您的监督。"))
    return complaint


# --- appeals (申诉复核) -------------------------------------------------------------------------
@transaction.atomic
def appeal_file(*, actor: User, rating: ComplaintRating, reason: str) -> Appeal:
    rating = ComplaintRating.objects.select_for_update(of=("self",)).select_related("complaint").get(pk=rating.pk)
    complaint = _lock(rating.complaint)
    require(permissions.can_appeal(actor, complaint, rating))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明申诉理由（差评与事实不符或属恶意差评的依据）。")})
    appeal = Appeal.objects.create(
        rating=rating, complaint=complaint, department=complaint.department, reason=reason.strip(), filed_by=actor, filed_at=timezone.now(),
    )
    _event(complaint, "appeal_filed", actor, rating=rating.rating)
    from workflow.services import role_people

    _notify_users(role_people(role=Role.SUPERVISOR), "appeal_filed", complaint, text=reason)
    return appeal


@transaction.atomic
def appeal_decide(*, actor: User, appeal: Appeal, facts_true: bool, reasonable: bool, malicious: bool, note: str) -> Appeal:
    """The supervisor's fact check. The appeal is upheld when the review is not
    true or not reasonable, or malicious; an upheld appeal removes the review
    from every figure (the complaint's rating falls back to the last counted one)."""
    require_role(user=actor, role=Role.SUPERVISOR)
    appeal = Appeal.objects.select_for_update(of=("self",)).select_related("complaint", "rating").get(pk=appeal.pk)
    complaint = _lock(appeal.complaint)
    if appeal.status != Appeal.Status.PENDING:
        raise ValidationError(_("该申诉已复核。"))
    if not (note or "").strip():
        raise ValidationError({"note": _("请填写复核意见。")})
    upheld = malicious or not facts_true or not reasonable
    appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
    appeal.facts_true, appeal.review_reasonable, appeal.malicious = facts_true, reasonable, malicious
    appeal.decided_by, appeal.decided_at, appeal.decision_note = actor, timezone.now(), note.strip()
    appeal.save(update_fields=["status", "facts_true", "review_reasonable", "malicious", "decided_by", "decided_at", "decision_note"])
    if upheld:
        rating = appeal.rating
        rating.excluded = True
        rating.save(update_fields=["excluded"])
        counted = complaint.ratings.filter(excluded=False).order_by("-created_at", "-pk").first()
        complaint.rating = counted.rating if counted else ""
        complaint.save(update_fields=["rating"])
    _event(complaint, "appeal_upheld" if upheld else "appeal_rejected", actor, note=note.strip(), malicious=malicious)
    _notify_users(_department_people(appeal.department), "appeal_upheld" if upheld else "appeal_rejected", complaint, text=note)
    return appeal
