"""The CPPCC proposal process as one viewflow flow.

The flow describes the process; every domain change is made by a service in
proposals/services.py, which completes the matching task (see
services._flow_step). Callbacks here only read, or call a service.

    start ─ check_cosigners ─┬─ split_cosign ═ cosign (per co-signer) ═ join_cosign ─ submit ─┐
                             └────────────────────────────────────────────────────────────────┴─ review
    review ─ check_accepted ─┬─ end_unaccepted (不予立案 / 并案 / 转意见建议)
                             └─ assign ─ split_departments ═ sign (per department) ─ check_sign
    check_sign ─┬─ reassign_decide ─ sign                               (申请调整, loops)
                └─ check_co ─┬─ co_opinion ───────────────────────────┐  (会办)
                             └─ draft_reply ─ sign_off ─ check_signed ─┴═ join_departments
                                    ^─────────── returned ──┘
    join_departments ─ begin_review ─ split_review ═ supervision_review ─ check_passed ─┬═ join_review
                                    ^─ check_revise_signed ─ revise_sign_off ─ revise ─┘ (returned)
    join_review ─ deliver ─ split_evaluate ═ evaluate (per proposer) ═ join_evaluate ─ close ─ check_rehandle
    check_rehandle ─┬─ end
                    └─ split_rehandle ═ draft_reply (next round, back through the branches above)

In lead + co-handler mode the branches join before supervision review, which
then reviews the lead's reply only; in separate mode every department's reply
gets its own supervision review (after all departments have signed), and the
replies are delivered to the members together once every one has passed.

Each human node is declared once with workflow.flow.runtime.human: its
title, role, department source, deadline (a time-limit step or the
assignment's own deadline), and the page and API actions that complete it.
Gateways read the case as it is now (assignment, reply, proposal status);
branch items (the assignment or reply a branch is about) travel in task.data
with task_data=carry. The two automatic steps (begin_review, deliver) are
Function nodes calling services.
"""
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from workflow.flow.nodes import DynamicSplit
from workflow.flow.runtime import CaseFlowMixin, carry, human

from . import services
from .models import Assignment, Proposal, ProposalProcess, ProposalTask, Reply
from .roles import Role

REVIEW, HANDLE = "proposals.review_proposal", "proposals.handle_proposal"


class ProposalFlow(CaseFlowMixin, flow.Flow):
    """政协提案办理"""

    case_kind = services.CASE_KIND
    case_field = "proposal"

    process_class = ProposalProcess
    task_class = ProposalTask

    start = flow.StartHandle(this.start_process).Next(this.check_cosigners)
    check_cosigners = flow.If(this.has_cosigners).Then(this.split_cosign).Else(this.review)
    split_cosign = DynamicSplit(this.cosigner_items).Next(this.cosign)
    cosign = human(
        _("确认联名"), role=Role.MEMBER, assign=this.item_user, deadline="cosign",
        page="proposals:cosign", api="proposal-cosign",
    ).Next(this.join_cosign)
    join_cosign = flow.Join().Next(this.submit)
    submit = human(
        _("提交提案"), role=Role.MEMBER, assign=this.proposer, deadline=None,  # the proposer's own pace
        page="proposals:submit", api="proposal-submit",
    ).Next(this.review)

    review = human(
        _("立案审查"), role=Role.PROPOSAL_OFFICE, permission=REVIEW, deadline="review",
        page="proposals:review", api="proposal-review",
    ).Next(this.check_accepted)
    check_accepted = flow.If(this.is_accepted).Then(this.assign).Else(this.end_unaccepted)
    assign = human(
        _("交办"), role=Role.PROPOSAL_OFFICE, permission=REVIEW, deadline="assign",
        page="proposals:assign", api="proposal-assign",
    ).Next(this.split_departments)

    split_departments = DynamicSplit(this.assignment_items).Next(this.sign)
    sign = human(
        _("签收"), role=Role.HANDLER, permission=HANDLE, department=this.assignment_department, deadline="sign",
        page="proposals:sign", api="proposal-assignment-sign", action_object="assignment_id",
    ).Next(this.check_sign, task_data=carry)
    check_sign = (
        flow.If(this.reassign_requested)
        .Then(this.reassign_decide, task_data=carry)
        .Else(this.check_co, task_data=carry)
    )
    reassign_decide = human(
        _("调整申请审批"), role=Role.PROPOSAL_OFFICE, permission=REVIEW, department=this.assignment_department,
        deadline="reassign_decide", page="proposals:reassign_decide", api="proposal-assignment-reassign-decision", action_object="assignment_id",
    ).Next(this.sign, task_data=carry)
    check_co = flow.If(this.is_co_handler).Then(this.co_opinion, task_data=carry).Else(this.draft_reply, task_data=carry)
    co_opinion = human(
        _("送会办意见"), role=Role.HANDLER, permission=HANDLE, department=this.assignment_department,
        deadline=this.assignment_deadline, page="proposals:opinion", api="proposal-assignment-opinion", action_object="assignment_id",
    ).Next(this.join_departments)
    draft_reply = human(
        _("撰写答复函"), role=Role.HANDLER, permission=HANDLE, department=this.assignment_department,
        deadline=this.assignment_deadline, page="proposals:reply", api="proposal-assignment-reply", action_object="assignment_id",
    ).Next(this.sign_off, task_data=carry)
    sign_off = human(
        _("签发答复函"), role=Role.DEPT_LEADER, permission=HANDLE, department=this.assignment_department,
        deadline="sign_off", page="proposals:sign_off", api="proposal-reply-sign-off", action_object="reply_id",
    ).Next(this.check_signed, task_data=carry)
    check_signed = flow.If(this.reply_signed).Then(this.join_departments).Else(this.draft_reply, task_data=carry)
    join_departments = flow.Join().Next(this.begin_review)

    begin_review = flow.Function(this.replies_to_review).Next(this.split_review)
    split_review = DynamicSplit(this.review_items).Next(this.supervision_review)
    supervision_review = human(
        _("督办审核"), role=Role.PROPOSAL_OFFICE, permission=REVIEW, department=this.assignment_department,
        deadline="supervision_review", page="proposals:reply_review", api="proposal-reply-review", action_object="reply_id",
    ).Next(this.check_passed, task_data=carry)
    check_passed = flow.If(this.reply_passed).Then(this.join_review).Else(this.revise, task_data=carry)
    revise = human(
        _("修改答复函"), role=Role.HANDLER, permission=HANDLE, department=this.assignment_department,
        deadline=this.assignment_deadline, page="proposals:reply", api="proposal-assignment-reply", action_object="assignment_id",
    ).Next(this.revise_sign_off, task_data=carry)
    revise_sign_off = human(
        _("签发修改后的答复函"), role=Role.DEPT_LEADER, permission=HANDLE, department=this.assignment_department,
        deadline="sign_off", page="proposals:sign_off", api="proposal-reply-sign-off", action_object="reply_id",
    ).Next(this.check_revise_signed, task_data=carry)
    check_revise_signed = (
        flow.If(this.reply_signed)
        .Then(this.supervision_review, task_data=carry)
        .Else(this.revise, task_data=carry)
    )
    join_review = flow.Join().Next(this.deliver)

    deliver = flow.Function(this.deliver_replies).Next(this.split_evaluate)
    split_evaluate = DynamicSplit(this.rater_items).Next(this.evaluate)
    evaluate = human(
        _("评价办理结果"), role=Role.MEMBER, assign=this.item_user, deadline="member_rating",
        page="proposals:evaluate", api="proposal-evaluate", action_object="rated_proposal_id",
    ).Next(this.join_evaluate)
    join_evaluate = flow.Join().Next(this.close)
    close = human(
        _("办结或重办"), role=Role.PROPOSAL_OFFICE, permission=REVIEW, deadline="close",
        page="proposals:close", api="proposal-close",
    ).Next(this.check_rehandle, task_data=carry)
    check_rehandle = flow.If(this.rehandle_requested).Then(this.split_rehandle).Else(this.end)
    split_rehandle = DynamicSplit(this.rehandle_items).Next(this.draft_reply)

    end_unaccepted = flow.End()
    end = flow.End()

    # --- callbacks: read domain state, or call a service ----------------------------
    def start_process(self, activation, proposal):
        activation.process.proposal = proposal
        return activation.process

    # Who and where
    def item_user(self, activation):
        from workflow.models import User

        return User.objects.get(pk=activation.task.data["user_id"])

    def proposer(self, activation):
        return activation.process.proposal.proposer

    def _assignment(self, activation) -> Assignment | None:
        assignment_id = (activation.task.data or {}).get("assignment_id")
        return Assignment.objects.select_related("department").filter(pk=assignment_id).first() if assignment_id else None

    def assignment_department(self, activation):
        assignment = self._assignment(activation)
        return assignment.department if assignment else None

    def assignment_deadline(self, activation):
        """Replies and co-handler opinions are due by the assignment's own deadline (extensions move it)."""
        assignment = self._assignment(activation)
        return assignment.deadline if assignment else None

    # Gateways: what the case is now
    def has_cosigners(self, activation):
        return activation.process.proposal.cosigners.exists()

    def is_accepted(self, activation):
        return Proposal.objects.filter(pk=activation.process.proposal_id, status=Proposal.Status.ACCEPTED).exists()

    def reassign_requested(self, activation):
        return Assignment.objects.filter(pk=activation.task.data["assignment_id"], status=Assignment.Status.REASSIGN_REQUESTED).exists()

    def is_co_handler(self, activation):
        return Assignment.objects.filter(pk=activation.task.data["assignment_id"], role=Assignment.Role.CO).exists()

    def reply_signed(self, activation):
        proposal = Proposal.objects.only("handling_round").get(pk=activation.process.proposal_id)
        return Reply.objects.filter(
            assignment_id=activation.task.data["assignment_id"], round=proposal.handling_round, status=Reply.Status.SIGNED
        ).exists()

    def reply_passed(self, activation):
        return Reply.objects.filter(pk=activation.task.data["reply_id"], status=Reply.Status.PASSED).exists()

    def rehandle_requested(self, activation):
        return Proposal.objects.filter(pk=activation.process.proposal_id, status=Proposal.Status.REHANDLING).exists()

    # Items of the runtime splits (reads only)
    def cosigner_items(self, activation):
        return services.flow_cosigner_items(proposal=activation.process.proposal)

    def assignment_items(self, activation):
        return services.flow_assignment_items(proposal=activation.process.proposal)

    def review_items(self, activation):
        return services.flow_review_items(proposal=activation.process.proposal)

    def rater_items(self, activation):
        return services.flow_rater_items(proposal=activation.process.proposal)

    def rehandle_items(self, activation):
        return services.flow_rehandle_items(proposal=activation.process.proposal)

    # Automatic steps: services with no acting person
    def replies_to_review(self, activation):
        services.proposal_begin_review(proposal=activation.process.proposal)

    def deliver_replies(self, activation):
        services.proposal_deliver_replies(proposal=activation.process.proposal)
