"""Evaluation by the members, closure, re-handling."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.flow.runtime import OPEN_TASK
from workflow.handling import evaluation_check_codes, evaluation_require_comment
from workflow.models import User
from workflow.rules import label_codes
from workflow.selectors import require_role
from workflow.services import require_status

from .. import permissions
from ..models import (
    Assignment,
    Cosigner,
    Evaluation,
    Proposal,
    ProposalTask,
)
from ..roles import Role
from ._common import (
    RATING_SCALE,
    _cancel_pending_extensions,
    _current_round_dissatisfied,
    _deadline,
    _department_people,
    _event,
    _flow_step,
    _node,
    _notify_users,
    _office_people,
    _open_task,
    _raters,
    _set_status,
    _remember,
)


def proposal_evaluate(
    *, actor: User, proposal: Proposal, process_rating: str, result_rating: str, comment: str = "",
) -> Evaluation:
    """The member rates the handling process and the result. The proposer (of
    this proposal or of one merged into it) completes their evaluation task;
    a confirmed co-signer may add their own rating while the case awaits closure."""
    evaluation_check_codes(
        scale=RATING_SCALE, ratings={"process_rating": process_rating, "result_rating": result_rating},
        messages={"process_rating": _("请选择对办理过程的评价。"), "result_rating": _("请选择对办理结果的评价。")},
    )
    proposal = Proposal.objects.select_related("merged_into").get(pk=proposal.pk)  # the caller's copy may predate a merge
    case = proposal.merged_into if proposal.merged_into_id else proposal
    is_proposer = proposal.proposer_id == actor.pk
    is_cosigner = Cosigner.objects.filter(proposal=proposal, member=actor, status=Cosigner.Status.CONFIRMED).exists()
    if not (is_proposer or is_cosigner):
        raise PermissionDenied(_("只有提案人和联名委员可以评价。"))

    def _save(case_locked: Proposal) -> Evaluation:
        if case_locked.status not in (Proposal.Status.REPLIED, Proposal.Status.EVALUATED):
            raise ValidationError(_("提案尚未答复或已办结，当前不能评价。"))
        if Evaluation.objects.filter(proposal=proposal, rater=actor, round=case_locked.handling_round).exists():
            raise ValidationError(_("您已评价过本轮办理。"))
        evaluation_require_comment(
            scale=RATING_SCALE, codes=[process_rating, result_rating], comment=comment,
            message=_("评价不满意时请写明意见，以便重新办理。"),
        )
        evaluation = Evaluation.objects.create(
            proposal=proposal, rater=actor, round=case_locked.handling_round, process_rating=process_rating,
            result_rating=result_rating, comment=(comment or "").strip(), created_at=timezone.now(),
        )
        _event(case_locked, "evaluated", actor, rated_proposal=proposal.pk, process=process_rating, result=result_rating)
        return evaluation

    if is_proposer:
        task = _open_task(case, "evaluate", user_id=actor.pk, rated_proposal_id=proposal.pk)
        with _flow_step(task, actor):
            case_locked = Proposal.objects.select_for_update().get(pk=case.pk)
            evaluation = _save(case_locked)
            others = ProposalTask.objects.filter(proposal=case_locked, flow_task__in=[_node("evaluate")], status__in=OPEN_TASK).exclude(pk=task.pk)
            if not others.exists():
                _set_status(case_locked, Proposal.Status.EVALUATED, actor, "evaluation_complete")
        if case.status != Proposal.Status.CLOSED:
            _notify_users(_office_people(), "rated", case, rating=result_rating, text=comment)
        return evaluation
    with transaction.atomic():
        case_locked = Proposal.objects.select_for_update().get(pk=case.pk)
        return _save(case_locked)


def proposal_waive_evaluation(*, actor: User, proposal: Proposal, note: str) -> Proposal:
    """A proposer did not rate within the limit (15 WD by default): the office
    records that and lets the case go on to closure. Only overdue evaluation
    tasks are waived; nobody's rating is invented."""
    permissions.require(permissions.can_manage(actor))
    if not (note or "").strip():
        raise ValidationError({"note": _("请说明情况（例如已电话联系委员未回复）。")})
    proposal = Proposal.objects.get(pk=proposal.pk)
    now = timezone.now()
    overdue = list(
        ProposalTask.objects.filter(proposal=proposal, flow_task=_node("evaluate"), status__in=OPEN_TASK, deadline__lt=now).order_by("pk")
    )
    if not overdue:
        raise ValidationError(_("没有超过评价期限的待评价任务：委员仍在评价期限内。"))
    with transaction.atomic():
        for task in overdue:
            with _flow_step(task, actor, on_behalf=True):  # the member's own task, recorded by the office
                case = Proposal.objects.select_for_update().get(pk=proposal.pk)
                _event(case, "evaluation_waived", actor, rater=task.data.get("user_id"), rated_proposal=task.data.get("rated_proposal_id"), note=note.strip())
                others = ProposalTask.objects.filter(proposal=case, flow_task=_node("evaluate"), status__in=OPEN_TASK).exclude(pk=task.pk)
                if not others.exists():
                    _set_status(case, Proposal.Status.EVALUATED, actor, "evaluation_complete")
    return Proposal.objects.get(pk=proposal.pk)


def proposal_close(*, actor: User, proposal: Proposal, implementation_grade: str, note: str = "") -> Proposal:
    """办结 with the implementation grade (落实情况). Merged proposals close with it."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    if implementation_grade not in label_codes("implementation_grade"):
        raise ValidationError({"implementation_grade": _("请评定落实情况。")})
    task = _open_task(proposal, "close")
    with _flow_step(task, actor):
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        require_status(proposal, [Proposal.Status.EVALUATED], _("提案尚未完成评价。"))
        dissatisfied = _current_round_dissatisfied(proposal)
        if dissatisfied and not (note or "").strip():
            raise ValidationError({"note": _("有委员不满意：办结须写明说明，或退回重办。")})
        now = timezone.now()
        for case in [proposal, *Proposal.objects.select_for_update().filter(merged_into=proposal)]:
            case.implementation_grade = implementation_grade
            case.closed_at = now
            case.close_note = note
            fields = ["implementation_grade", "closed_at", "close_note"]
            if case.pk == proposal.pk:
                case.save(update_fields=fields)
                _set_status(case, Proposal.Status.CLOSED, actor, "closed", grade=implementation_grade, note=note)
            else:
                case.save(update_fields=fields)
                _event(case, "closed", actor, grade=implementation_grade, target=proposal.pk)
    _notify_users([u for _p, u in _raters(proposal)], "closed", proposal, text=note)
    return proposal


def proposal_rehandle(*, actor: User, proposal: Proposal, note: str = "", at: dt.datetime | None = None) -> Proposal:
    """重办 after 不满意: the answering departments reply again within the re-handling limit."""
    require_role(user=actor, role=Role.PROPOSAL_OFFICE)
    task = _open_task(proposal, "close")
    with _flow_step(task, actor):
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        require_status(proposal, [Proposal.Status.EVALUATED], _("提案尚未完成评价。"))
        if not _current_round_dissatisfied(proposal):
            raise ValidationError(_("没有委员评价不满意，不能重办。"))
        now = at or timezone.now()
        deadline = _deadline("rehandle_reply", now)
        answering = proposal.assignments.exclude(role=Assignment.Role.CO).exclude(status=Assignment.Status.REASSIGNED_AWAY)
        rehandled = list(answering.select_for_update())
        for assignment in rehandled:
            assignment.status = Assignment.Status.SIGNED
            assignment.deadline = deadline
            assignment.extended = False  # a new round with its own limit
            assignment.save(update_fields=["status", "deadline", "extended"])
            _cancel_pending_extensions(assignment, actor, _("提案重办，期限已重新计算"))
        _remember(rehandled, "deadline")
        proposal.handling_round += 1
        proposal.reply_deadline = deadline
        proposal.save(update_fields=["handling_round", "reply_deadline"])
        _set_status(proposal, Proposal.Status.REHANDLING, actor, "rehandling", note=note, round=proposal.handling_round)
    for assignment in answering.select_related("department"):
        _notify_users(_department_people(assignment.department, Role.HANDLER), "rehandle", proposal, text=note)
    return proposal
