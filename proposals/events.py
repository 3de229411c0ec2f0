"""The proposal's event types: label and who may see them, declared once.

Internal is the default (workflow.events): an event type or payload key not
declared public here is seen only by the proposal office and the handling
departments. Working papers (re-assignment and extension requests, drafts,
co-handler opinions, returns) stay internal; notes and reasons stay internal
in every event. Who co-signed or declined and how each member rated are for
the proposal's own people (an invited co-signer or the proposer of a proposal
merged into this one does not see them).
"""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.events import INTERNAL, PRIVATE, PUBLIC, EventType, register_events

from .models import Consultation, Proposal

# Payload keys a member or supervisor may see on a public event.
SHOWN = frozenset({
    "department", "departments", "from_department", "to_department", "mode", "date", "doc_number",
    "reply_class", "original_class", "process", "result", "grade", "round", "member", "target",
    "rated_proposal", "payload_target", "payload_merged", "leading_official",
})


def _mode(payload, labels):
    mode = payload.get("mode")
    return [str(dict(Proposal.HandlingMode.choices).get(mode, mode))] if mode else []


def _consulted(payload, labels):
    parts = []
    if payload.get("mode"):
        parts.append(str(dict(Consultation.Mode.choices).get(payload["mode"], payload["mode"])))
    if payload.get("date"):
        parts.append(_("协商日期%(d)s") % {"d": payload["date"]})
    return parts


def _reply_class(payload, labels):
    return [_("答复类别%(c)s") % {"c": payload["reply_class"]}] if payload.get("reply_class") else []


def _evaluated(payload, labels):
    rating = labels.get("proposal_rating", {})
    return [_("办理过程：%(p)s；办理结果：%(r)s") % {
        "p": rating.get(payload.get("process"), payload.get("process")),
        "r": rating.get(payload.get("result"), payload.get("result")),
    }]


def _closed(payload, labels):
    return [_("落实情况%(g)s") % {"g": payload["grade"]}] if payload.get("grade") else []


def _withdrawn(payload, labels):
    return [_("撤回理由：%(r)s") % {"r": payload["reason"]}] if payload.get("reason") else []


def public(code, label, describe=None):
    """Seen by anyone who may open the proposal."""
    return EventType(code, label, shown_to=PUBLIC, public_payload=SHOWN, describe=describe)


def private(code, label, describe=None):
    """Seen by the proposal's own people (proposer, confirmed co-signers, its supervisors) and internally."""
    return EventType(code, label, shown_to=PRIVATE, public_payload=SHOWN, describe=describe)


def internal(code, label, describe=None):
    return EventType(code, label, shown_to=INTERNAL, public_payload=frozenset(), describe=describe)


EVENT_TYPES = [
    public("drafted", gettext_lazy("起草提案（草稿）")),
    public("draft_updated", gettext_lazy("修改草稿")),
    public("submitted_for_cosign", gettext_lazy("提交，邀请委员联名")),
    private("cosign_confirmed", gettext_lazy("确认联名")),
    private("cosign_declined", gettext_lazy("拒绝联名")),
    private("cosign_withdrawn", gettext_lazy("撤回联名邀请")),
    public("cosign_complete", gettext_lazy("联名确认完成，待提交")),
    public("submitted", gettext_lazy("提交提案，待审查")),
    public("submitted_after_cosign", gettext_lazy("联名确认完成，自动提交提案委审查")),
    # Before review only the proposal's own people and the office can open it: they all see the reason.
    EventType("withdrawn", gettext_lazy("提案人撤回提案"), shown_to=PUBLIC, public_payload=frozenset({"reason"}), describe=_withdrawn),
    public("accepted", gettext_lazy("立案")),
    public("rejected", gettext_lazy("不予立案")),
    public("merged", gettext_lazy("并案办理")),
    public("merged_in", gettext_lazy("并入其他提案")),
    public("forwarded", gettext_lazy("转意见建议")),
    public("assigned", gettext_lazy("交办"), _mode),
    public("key_set", gettext_lazy("设为重点提案")),
    public("key_unset", gettext_lazy("取消重点提案")),
    public("public_set", gettext_lazy("设为答复公开")),
    public("public_unset", gettext_lazy("设为答复不公开")),
    public("signed", gettext_lazy("签收")),
    internal("reassign_requested", gettext_lazy("申请调整承办单位")),
    public("reassign_approved", gettext_lazy("同意调整承办单位")),
    internal("reassign_refused", gettext_lazy("不同意调整承办单位")),
    public("consulted", gettext_lazy("办理协商"), _consulted),
    internal("opinion_sent", gettext_lazy("送会办意见")),
    internal("reply_drafted", gettext_lazy("撰写答复函")),
    internal("reply_revised", gettext_lazy("修改答复函")),
    public("reply_submitted", gettext_lazy("答复函送单位领导签发")),
    public("reply_signed", gettext_lazy("单位领导签发答复函")),
    internal("reply_returned_by_leader", gettext_lazy("单位领导退回答复函")),
    public("replies_signed", gettext_lazy("答复函均已签发，进入督办审核")),
    public("reply_passed", gettext_lazy("督办审核通过"), _reply_class),
    internal("reply_returned", gettext_lazy("督办审核退回"), _reply_class),
    public("replied", gettext_lazy("答复送达委员")),
    internal("extension_requested", gettext_lazy("申请延期答复")),
    public("extension_approved", gettext_lazy("同意延期答复")),
    internal("extension_refused", gettext_lazy("不同意延期答复")),
    private("evaluated", gettext_lazy("委员评价"), _evaluated),
    private("evaluation_waived", gettext_lazy("委员逾期未评价（已记录）")),
    public("evaluation_complete", gettext_lazy("评价完成，待办结")),
    public("closed", gettext_lazy("办结"), _closed),
    public("rehandling", gettext_lazy("委员不满意，重新办理")),
]

# The change history (数据变更记录) shows these fields' changes to anyone who
# may open the proposal, and the private ones to its own people (the
# proposer, confirmed co-signers, its supervisors); the rest only to the
# office and the handling departments.
PUBLIC_FIELDS = [
    "session", "between_sessions", "number", "kind", "organisation_name", "title", "analysis", "suggestions",
    "category", "status", "submitted_at", "reviewed_at", "merged_into", "forwarded_to", "handling_mode",
    "assigned_at", "reply_deadline", "is_key", "is_public", "handling_round", "implementation_grade", "closed_at",
    # shown on the detail page to everyone who may open the proposal
    "proposer", "review_note", "rejection_reason", "leading_official", "supervising_unit", "close_note",
]
PRIVATE_FIELDS = ["contact_name", "contact_phone"]


def register() -> None:
    register_events(Proposal, EVENT_TYPES, public_fields=PUBLIC_FIELDS, private_fields=PRIVATE_FIELDS)
