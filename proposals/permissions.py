"""Who may do what with a proposal: one predicate per action, used by the
services (which refuse with the predicate's reason), the detail page's action
cards and page guards, and the API, so that all three refuse the same way.

Actions that complete a flow task are decided by the task itself: the user
must have the open task in their scope (workflow.selectors.open_tasks) and
the service checks the role and department again. The predicates here are
for the actions that are not flow tasks.

Each predicate returns a Decision: truthy when allowed, with the reason
(in the user's language) when not. `require()` turns a refusal of *who*
(the role or department) into PermissionDenied (HTTP 403 on pages and in
the API) and a refusal of *when* (the case's state) into ValidationError
(400, shown on the form).
"""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from workflow.handling import extension_can_request
from workflow.permissions import ALLOW, Decision, not_now, require  # noqa: F401  (re-exported for the pages and API)
from workflow.permissions import role_decision as _role
from workflow.selectors import user_roles

from .roles import Role


SUPERVISION_ROLES = {Role.SUPERVISOR, Role.KEY_LEADER, Role.PROPOSAL_OFFICE, Role.ADMIN}


def can_view_supervision(user) -> Decision:
    """The list of key and overdue proposals (page and API)."""
    if SUPERVISION_ROLES & user_roles(user=user):
        return ALLOW
    return Decision(False, _("重点与逾期提案仅供督查人员、牵头领导和提案委查看。"))


def can_write_proposal(user) -> Decision:
    return _role(user, Role.MEMBER, _("只有政协委员可以撰写提案。"))


def can_manage(user) -> Decision:
    """The proposal office's own acts on a case: key proposal and supervision,
    disclosure, deciding extensions, waiving overdue ratings."""
    return _role(user, Role.PROPOSAL_OFFICE, _("此操作需要“%(role)s”角色。") % {"role": Role.PROPOSAL_OFFICE.label})


def can_handle_for(user, department) -> Decision:
    """A handler of the department acts for it (consultations, extension requests)."""
    return _role(user, Role.HANDLER, _("您不是“%(dept)s”的%(role)s，无权办理。") % {"dept": department, "role": Role.HANDLER.label}, department)


def can_request_extension(user, assignment, *, pending: bool, now: dt.datetime | None = None) -> Decision:
    """An answering department, before its deadline, with no request pending."""
    decision = can_handle_for(user, assignment.department)
    if not decision:
        return decision
    if not assignment.answers:
        return not_now(_("会办单位不申请答复延期。"))
    if assignment.status in (assignment.Status.DONE, assignment.Status.REASSIGNED_AWAY):
        return not_now(_("该提案已答复，无需延期。"))
    reason = extension_can_request(deadline=assignment.deadline, pending=pending, now=now)
    return not_now(reason) if reason else ALLOW


def can_withdraw_cosigner(user, proposal) -> Decision:
    if proposal.proposer_id != user.pk:
        return Decision(False, _("只有领衔提案人可以撤回联名邀请。"))
    return ALLOW


def can_edit_draft(user, proposal) -> Decision:
    if proposal.proposer_id != user.pk:
        return Decision(False, _("只有领衔提案人可以修改草稿。"))
    return ALLOW


def can_record_consultation(user, assignment, proposal) -> Decision:
    """办理协商 is recorded by the department's handler after signing, until the reply reaches the member."""
    decision = can_handle_for(user, assignment.department)
    if not decision:
        return decision
    if assignment.status in (assignment.Status.ASSIGNED, assignment.Status.REASSIGN_REQUESTED, assignment.Status.REASSIGNED_AWAY):
        return not_now(_("请先签收提案再记录协商。"))
    if proposal.status not in proposal.OPEN_STATUSES:
        return not_now(_("提案已答复，不能再补记办理协商。"))
    return ALLOW


def can_delete_draft(user, proposal) -> Decision:
    """Only the proposer deletes, only a draft (never sent to anyone)."""
    if proposal.proposer_id != user.pk:
        return Decision(False, _("只有领衔提案人可以删除草稿。"))
    if proposal.status != proposal.Status.DRAFT:
        return not_now(_("提案已提交，不能删除；审查前可以撤回。"))
    return ALLOW


def can_withdraw(user, proposal) -> Decision:
    """The proposer withdraws a submitted proposal until the office has reviewed it."""
    if proposal.proposer_id != user.pk:
        return Decision(False, _("只有领衔提案人可以撤回提案。"))
    if proposal.status != proposal.Status.SUBMITTED:
        if proposal.status == proposal.Status.DRAFT:
            return not_now(_("草稿尚未提交，无需撤回；可以直接删除。"))
        return not_now(_("只有待审查的提案可以撤回：提案委审查后不能再撤回。"))
    return ALLOW


# --- supervision notices (workflow.notices) ----------------------------------------------
def may_issue_notice(user, proposal) -> bool:
    """A supervisor of the proposal (a key one, or their unit supervises it) or the
    key proposal's leading official issues supervision notices about it."""
    from .selectors import user_is_supervising

    return user_is_supervising(user, proposal)


def notice_departments(proposal) -> list:
    """The departments handling the proposal now (none before assignment or once answered and closed)."""
    from .models import Assignment, Proposal

    if proposal.status not in Proposal.OPEN_STATUSES:
        return []
    return [
        a.department for a in proposal.assignments.exclude(status=Assignment.Status.REASSIGNED_AWAY).select_related("department").order_by("role", "pk")
    ]
