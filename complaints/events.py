"""The complaint's event types: label and who may see them, declared once.

PUBLIC events are what the citizen sees when following the case by number
and query code (complaints/selectors.py: complaint_progress) and what any
staff member who may open the case sees; INTERNAL ones (returns, drafts,
reviews, notes, appeals, contact reveals) are for staff only. Payloads never
hold the citizen's personal data.
"""
from django.utils.translation import gettext_lazy

from workflow.events import INTERNAL, PUBLIC, EventType, register_events

from .models import Complaint

# Payload keys the citizen may see on a public event.
SHOWN = frozenset({"department", "department_name", "departments", "until", "round", "rating", "target", "parts", "reason", "redirect_to", "channel"})


def _rating(payload, labels):
    rating = labels.get("haocha_rating", {})
    return [str(rating.get(payload.get("rating"), payload.get("rating", "")))] if payload.get("rating") else []


def public(code, label, describe=None):
    return EventType(code, label, shown_to=PUBLIC, public_payload=SHOWN, describe=describe)


def internal(code, label, describe=None):
    return EventType(code, label, shown_to=INTERNAL, public_payload=frozenset(), describe=describe)


EVENT_TYPES = [
    public("received", gettext_lazy("受理")),
    public("resolved_on_spot", gettext_lazy("现场办结")),
    public("not_accepted", gettext_lazy("不予受理")),
    public("merged", gettext_lazy("并入相同诉求办理")),
    public("split", gettext_lazy("拆分为多件办理")),
    public("dispatched", gettext_lazy("派单")),
    public("redispatched", gettext_lazy("改派")),
    public("signed", gettext_lazy("承办单位签收")),
    public("suspended", gettext_lazy("挂起（等待群众或第三方）")),
    public("resumed", gettext_lazy("恢复办理")),
    public("extended", gettext_lazy("延期")),
    public("replied", gettext_lazy("答复")),
    public("rated", gettext_lazy("评价"), _rating),
    public("reopened", gettext_lazy("群众反馈未解决，重新办理")),
    public("rectification", gettext_lazy("差评整改"), _rating),
    public("rectified", gettext_lazy("整改反馈")),
    public("closed", gettext_lazy("办结")),
    public("followed", gettext_lazy("有群众关注此诉求")),
    internal("returned", gettext_lazy("退单")),
    internal("return_improper", gettext_lazy("退单不当，原单位继续办理")),
    internal("co_opinion", gettext_lazy("协办意见")),
    internal("reply_written", gettext_lazy("撰写答复")),
    internal("review_started", gettext_lazy("答复提交审核")),
    internal("reply_signed_off", gettext_lazy("领导签发答复")),
    internal("reply_sign_off_returned", gettext_lazy("领导退回答复")),
    internal("reply_passed", gettext_lazy("答复审核通过")),
    internal("reply_returned", gettext_lazy("答复审核退回")),
    internal("extension_requested", gettext_lazy("申请延期")),
    internal("extension_refused", gettext_lazy("不同意延期")),
    internal("suspension_requested", gettext_lazy("申请挂起")),
    internal("suspension_refused", gettext_lazy("不同意挂起")),
    internal("note_added", gettext_lazy("办理记录")),
    internal("contact_recorded", gettext_lazy("联系群众")),
    internal("instruction", gettext_lazy("领导批示")),
    internal("appeal_filed", gettext_lazy("差评申诉")),
    internal("appeal_upheld", gettext_lazy("申诉成立，差评不计入统计")),
    internal("appeal_rejected", gettext_lazy("申诉不成立")),
    internal("contact_revealed", gettext_lazy("查看群众联系方式")),
    internal("callback_unreachable", gettext_lazy("回访未能联系上群众")),
]

# Field changes shown outside the staff: none (the citizen's page is built from events).
PUBLIC_FIELDS = ()


def register() -> None:
    register_events(Complaint, EVENT_TYPES, public_fields=PUBLIC_FIELDS)
