"""What the flow's runtime splits are made of (reads) and its automatic steps (Function nodes)."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.services import require_status

from ..models import (
    Assignment,
    Cosigner,
    Proposal,
    Reply,
)
from ._common import (
    _event,
    _notify_users,
    _raters,
    _set_status,
)


def flow_cosigner_items(*, proposal: Proposal) -> list[dict]:
    return [{"user_id": c.member_id, "cosigner_id": c.pk} for c in proposal.cosigners.order_by("pk")]


def flow_assignment_items(*, proposal: Proposal) -> list[dict]:
    return [
        {"assignment_id": a.pk}
        for a in proposal.assignments.exclude(status=Assignment.Status.REASSIGNED_AWAY).order_by("pk")
    ]


def flow_review_items(*, proposal: Proposal) -> list[dict]:
    """One supervision review per signed reply of the current round."""
    round_ = Proposal.objects.values_list("handling_round", flat=True).get(pk=proposal.pk)
    replies = Reply.objects.filter(assignment__proposal_id=proposal.pk, round=round_, status=Reply.Status.SIGNED)
    return [{"assignment_id": r.assignment_id, "reply_id": r.pk} for r in replies.order_by("pk")]


def flow_rater_items(*, proposal: Proposal) -> list[dict]:
    """One rating task per proposer (of this proposal and of those merged into it)."""
    return [{"user_id": user.pk, "rated_proposal_id": p.pk} for p, user in _raters(proposal)]


def flow_rehandle_items(*, proposal: Proposal) -> list[dict]:
    return [
        {"assignment_id": a.pk}
        for a in proposal.assignments.exclude(role=Assignment.Role.CO).exclude(status=Assignment.Status.REASSIGNED_AWAY).order_by("pk")
    ]


def proposal_begin_review(*, proposal: Proposal) -> Proposal:
    """Every answering department has signed its reply: supervision review starts."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    require_status(proposal, [Proposal.Status.HANDLING, Proposal.Status.REHANDLING], _("提案不在办理中。"))
    _set_status(proposal, Proposal.Status.REVIEWING, None, "replies_signed")
    return proposal


def proposal_deliver_replies(*, proposal: Proposal) -> Proposal:
    """Every reply passed review: deliver them to the proposers and ask each to rate."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    require_status(proposal, [Proposal.Status.REVIEWING], _("提案不在督办审核中。"))
    now = timezone.now()
    for reply in Reply.objects.select_for_update().filter(assignment__proposal=proposal, round=proposal.handling_round, status=Reply.Status.PASSED):
        reply.replied_at = now  # saved one by one so that history records the delivery
        reply.save(update_fields=["replied_at"])
    _set_status(proposal, Proposal.Status.REPLIED, None, "replied")
    raters = _raters(proposal)
    for merged, _user in raters[1:]:
        _event(merged, "replied", None, payload_target=proposal.pk)
    for rated, user in raters:
        # Each person is sent to the proposal they can open (a merged one shows the target's replies).
        cosigners = [c.member for c in rated.cosigners.filter(status=Cosigner.Status.CONFIRMED).select_related("member")]
        _notify_users([user] + cosigners, "replied", rated, number=proposal.number, title=proposal.title)
    return proposal
