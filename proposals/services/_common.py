"""Shared by the proposal services: the engine's checks, events, people and flow runtime, for proposals; helpers of several stages."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from workflow import services as engine
from workflow.deadlines import deadlines_remember
from workflow.flow.runtime import flow_step, open_task, step_deadline
from workflow.handling import extension_cancel_pending, extension_check_dates
from workflow.models import Department, User
from workflow.rules import negative_codes, time_limit_text

from ..models import (
    Assignment,
    Evaluation,
    Proposal,
    ProposalTask,
)
from ..roles import Role

CASE_KIND = "proposal"  # the time-limit rules' case kind
RATING_SCALE = "proposal_rating"  # the label scale members rate on


def _deadline(step: str, start: dt.datetime) -> dt.datetime:
    return step_deadline(case_kind=CASE_KIND, step=step, start=start)


def _event(proposal: Proposal, type: str, actor, from_state="", to_state="", **payload):
    engine.event_record(case=proposal, type=type, actor=actor, from_state=from_state, to_state=to_state, payload=payload)


def _set_status(proposal: Proposal, status: str, actor, event: str, extra_fields=(), **payload):
    engine.case_set_status(case=proposal, status=status, actor=actor, event=event, extra_fields=extra_fields, **payload)


def _notify_users(users, kind: str, proposal: Proposal, *, in_transaction: bool = False, **params):
    """Notify people about a proposal: a kind of proposals.notifications and its params (rendered when read).
    in_transaction: stored in the service's transaction, delivered after it (engine.notify_in_transaction)."""
    notify = engine.notify_in_transaction if in_transaction else engine.notify_on_commit
    notify(users=users, kind=f"proposal.{kind}", params={"proposal": proposal.pk, "number": proposal.number, "title": proposal.title, **params})


def _department_people(department: Department, role: str) -> list[User]:
    return engine.role_people(role=role, department=department)


def _office_people() -> list[User]:
    return engine.role_people(role=Role.PROPOSAL_OFFICE)




def _node(name: str):
    from ..flows import ProposalFlow

    return getattr(ProposalFlow, name)


def _open_task(proposal: Proposal, nodes, **data) -> ProposalTask:
    names = [nodes] if isinstance(nodes, str) else list(nodes)
    return open_task(task_model=ProposalTask, case_field="proposal", case=proposal, nodes=[_node(n) for n in names], **data)


def _flow_step(task: ProposalTask, actor: User, *, on_behalf: bool = False):
    return flow_step(task, actor, busy_message=_("该提案正由他人同时办理，请稍后刷新重试。"), on_behalf=on_behalf)


def _raters(proposal: Proposal) -> list[tuple[Proposal, User]]:
    """Every proposer of the case: the proposal's own and those merged into it."""
    result = [(proposal, proposal.proposer)]
    for merged in proposal.merged.select_related("proposer").order_by("pk"):
        result.append((merged, merged.proposer))
    return result


def _lock_assignment(assignment: Assignment, department_id: int | None = None) -> Assignment:
    """Lock the assignment row. With department_id (the department whose
    people were allowed to act), refuse when it has been re-assigned since."""
    locked = Assignment.objects.select_for_update().select_related("proposal", "department").get(pk=assignment.pk)
    if department_id is not None and locked.department_id != department_id:
        raise PermissionDenied(_("该提案已调整给其他单位办理。"))
    return locked


def _remember(objs, *fields: str) -> None:
    """The deadlines just saved on these objects (of one model) follow a calendar
    correction when they were computed from the rules (workflow.deadlines)."""
    deadlines_remember(objs=list(objs), fields=fields)


def _latest_answering_deadlines(proposal_ids) -> dict[int, object]:
    """Each proposal's reply deadline: the latest of its answering departments' (one query)."""
    return dict(
        Assignment.objects.filter(proposal_id__in=list(proposal_ids)).exclude(role=Assignment.Role.CO)
        .exclude(status=Assignment.Status.REASSIGNED_AWAY).values("proposal_id").annotate(m=Max("deadline"))
        .values_list("proposal_id", "m")
    )


def proposals_reply_deadline_refresh(proposal_ids, *, now) -> None:
    """Set-wise _refresh_reply_deadline, after the sweep moved assignments' deadlines
    (a calendar correction: workflow.deadlines): per chunk of proposals one read, then one
    UPDATE and one INSERT ... SELECT of history per distinct deadline (update() writes
    none). Chunks keep the lists within any database's parameter limit."""
    from workflow.bulk_sql import insert_history
    from workflow.deadlines import HISTORY_REASON

    ids = sorted(proposal_ids)
    for start in range(0, len(ids), REFRESH_CHUNK):
        by_deadline: dict = {}
        for proposal_id, latest in _latest_answering_deadlines(ids[start:start + REFRESH_CHUNK]).items():
            by_deadline.setdefault(latest, []).append(proposal_id)
        for deadline, chunk in by_deadline.items():
            stale = Proposal.objects.filter(pk__in=chunk).exclude(reply_deadline=deadline)
            changed = list(stale.values_list("pk", flat=True))
            if changed:
                Proposal.objects.filter(pk__in=changed).update(reply_deadline=deadline)
                insert_history(Proposal, Proposal.objects.filter(pk__in=changed), now=now, reason=HISTORY_REASON)


REFRESH_CHUNK = 5000


def _refresh_reply_deadline(proposal_id: int) -> None:
    """The proposal's reply deadline is the latest of its answering departments'."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    latest = _latest_answering_deadlines([proposal_id]).get(proposal_id)
    if latest and latest != proposal.reply_deadline:
        proposal.reply_deadline = latest
        proposal.save(update_fields=["reply_deadline"])


def _current_assignment(assignment: Assignment) -> Assignment:
    """The assignment as it is now: the caller's object may predate a re-assignment."""
    return Assignment.objects.select_related("proposal", "department").get(pk=assignment.pk)


def _check_extension_ceiling(assignment: Assignment, until: dt.date) -> None:
    """An extended reply is due at the latest `reply_extended` (6 months by default) after assignment."""
    extension_check_dates(
        deadline=assignment.deadline, requested_until=until,
        ceiling=_deadline("reply_extended", assignment.assigned_at),
        ceiling_text=_("交办后%(limit)s") % {"limit": time_limit_text(case_kind=CASE_KIND, step="reply_extended")},
    )


def _cancel_pending_extensions(assignment: Assignment, actor: User, note: str) -> None:
    """Deadlines were recomputed (re-assignment, re-handling): a pending request no longer applies."""
    for req in extension_cancel_pending(requests=assignment.extension_requests.all(), actor=actor, note=note):
        _event(assignment.proposal, "extension_refused", actor, department=assignment.department_id, until=req.requested_until.isoformat(), note=note)


def _current_round_dissatisfied(proposal: Proposal) -> bool:
    negative = negative_codes(RATING_SCALE)
    return Evaluation.objects.filter(
        Q(proposal=proposal) | Q(proposal__merged_into=proposal), round=proposal.handling_round
    ).filter(Q(process_rating__in=negative) | Q(result_rating__in=negative)).exists()
