"""Review (立案审查) by the proposal office."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.models import Department, User
from workflow.selectors import require_role
from workflow.services import require_status

from ..models import (
    Proposal,
    RejectionReason,
    Session,
)
from ..roles import Role
from ._common import (
    _department_people,
    _event,
    _flow_step,
    _notify_users,
    _open_task,
    _set_status,
)


class ReviewOutcome:
    ACCEPT = "accept"
    REJECT = "reject"
    MERGE = "merge"
    FORWARD = "forward"
    ALL = (ACCEPT, REJECT, MERGE, FORWARD)


# Far above any session's count (a few hundred), far below the column's limit:
# an automatic number after a typed one can never overflow.
MAX_PROPOSAL_NUMBER = 99999


def _lock_session(session_id: int) -> None:
    """Serialise numbering per session. NO KEY: proposals referring to the
    session can still be saved meanwhile (their foreign-key checks need KEY SHARE)."""
    Session.objects.select_for_update(no_key=True).get(pk=session_id)


def _next_number(session: Session) -> int:
    last = Proposal.objects.filter(session=session).aggregate(m=Max("number"))["m"] or 0
    return last + 1


def proposal_review(
    *, actor: User, proposal: Proposal, outcome: str, note: str = "", rejection_reason: RejectionReason | None = None,
    merge_into: Proposal | None = None, forward_to: Department | None = None, number: int | None = None,
) -> Proposal:
    """立案 / 不予立案 (with a reason) / 并案 into an accepted proposal / 转意见建议 to a department."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    if outcome not in ReviewOutcome.ALL:
        raise ValidationError({"outcome": _("审查结果无效。")})
    if outcome == ReviewOutcome.REJECT and rejection_reason is None:
        raise ValidationError({"rejection_reason": _("不予立案须选择理由。")})
    if outcome == ReviewOutcome.MERGE and merge_into is None:
        raise ValidationError({"merge_into": _("并案须选择并入的提案。")})
    if outcome == ReviewOutcome.FORWARD and forward_to is None:
        raise ValidationError({"forward_to": _("转意见建议须选择转交单位。")})
    if outcome == ReviewOutcome.FORWARD and (not forward_to.is_active or forward_to.kind != Department.Kind.GOVERNMENT):
        raise ValidationError({"forward_to": _("“%(d)s”不是可承办意见建议的单位。") % {"d": forward_to}})
    task = _open_task(proposal, "review")
    with _flow_step(task, actor):
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        require_status(proposal, [Proposal.Status.SUBMITTED], _("该提案不在待审查状态。"))
        proposal.reviewed_at = timezone.now()
        proposal.review_note = note
        fields = ["reviewed_at", "review_note"]
        notice: dict = {}
        if outcome == ReviewOutcome.ACCEPT:
            _lock_session(proposal.session_id)
            wanted = number or _next_number(proposal.session)
            if not 1 <= wanted <= MAX_PROPOSAL_NUMBER:
                raise ValidationError({"number": _("提案编号须在1至%(max)d之间。") % {"max": MAX_PROPOSAL_NUMBER}})
            if Proposal.objects.filter(session=proposal.session, number=wanted).exclude(pk=proposal.pk).exists():
                raise ValidationError({"number": _("本届次已有第%(n)d号提案。") % {"n": wanted}})
            proposal.number = wanted
            fields.append("number")
            status, event = Proposal.Status.ACCEPTED, "accepted"
            notice = {"kind": "accepted"}
        elif outcome == ReviewOutcome.REJECT:
            proposal.rejection_reason = rejection_reason
            fields.append("rejection_reason")
            status, event = Proposal.Status.REJECTED, "rejected"
            notice = {"kind": "rejected", "reason": rejection_reason.text}
        elif outcome == ReviewOutcome.MERGE:
            target = Proposal.objects.select_for_update().get(pk=merge_into.pk)
            if target.pk == proposal.pk or target.session_id != proposal.session_id:
                raise ValidationError({"merge_into": _("只能并入本届次的其他提案。")})
            if target.number is None or target.status in (Proposal.Status.CLOSED, Proposal.Status.REJECTED, Proposal.Status.MERGED, Proposal.Status.FORWARDED):
                raise ValidationError({"merge_into": _("只能并入已立案且尚未办结的提案。")})
            if target.status in (Proposal.Status.REPLIED, Proposal.Status.EVALUATED):
                raise ValidationError({"merge_into": _("该提案已答复，不能再并入。")})
            proposal.merged_into = target
            fields.append("merged_into")
            status, event = Proposal.Status.MERGED, "merged"
            _event(target, "merged_in", actor, payload_merged=proposal.pk)
            notice = {"kind": "merged", "target_number": target.number, "target_title": target.title}
        else:
            proposal.forwarded_to = forward_to
            fields.append("forwarded_to")
            status, event = Proposal.Status.FORWARDED, "forwarded"
            notice = {"kind": "forwarded_to_proposer", "dept": str(forward_to)}
        proposal.save(update_fields=fields)
        _set_status(proposal, status, actor, event, note=note)
    if notice:
        _notify_users([proposal.proposer], notice.pop("kind"), proposal, **notice)
    if outcome == ReviewOutcome.FORWARD:
        _notify_users(_department_people(forward_to, Role.HANDLER), "forwarded", proposal, text=note)
    return proposal
