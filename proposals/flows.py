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
    join_departments ─ split_review ═ supervision_review ─ check_passed ─┬═ join_review
                                    ^─ check_revise_signed ─ revise_sign_off ─ revise ─┘ (returned)
    join_review ─ split_evaluate ═ evaluate (per proposer) ═ join_evaluate ─ close ─ check_rehandle
    check_rehandle ─┬─ end
                    └─ split_rehandle ═ draft_reply (next round, back through the branches above)

In lead + co-handler mode the branches join before supervision review, which
then reviews the lead's reply only; in separate mode every department's reply
gets its own supervision review (after all departments have signed), and the
replies are delivered to the members together once every one has passed.

An If reads the data of its own task: the node before it must pass its
decision on with task_data=carry (close -> check_rehandle, sign -> check_sign, ...).
"""
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from workflow.nodes import DynamicSplit

from . import services
from .models import ProposalProcess, ProposalTask


def handled_by_our_views(request, **kwargs):
    """flow.View needs a view; our pages and API complete the tasks through services."""
    raise Http404


def carry(activation):
    """Branch data (assignment / reply ids) is not inherited by the next task: pass it on."""
    return {k: v for k, v in (activation.task.data or {}).items() if not k.startswith("_")}


def human(title, permission=None, assign=None):
    """A human task completed through our services; routed by flow_task_created."""
    node = flow.View(handled_by_our_views).Annotation(title=title)
    if permission:
        node = node.Permission(permission)
    if assign:
        node = node.Assign(assign)
    return node.onCreate(this.task_created)


class ProposalFlow(flow.Flow):
    """政协提案办理"""

    process_class = ProposalProcess
    task_class = ProposalTask
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.check_cosigners)
    check_cosigners = flow.If(this.has_cosigners).Then(this.split_cosign).Else(this.review)
    split_cosign = DynamicSplit(this.cosigner_items).Next(this.cosign)
    cosign = human(_("确认联名"), assign=this.item_user).Next(this.join_cosign)
    join_cosign = flow.Join().Next(this.submit)
    submit = human(_("提交提案"), assign=this.proposer).Next(this.review)

    review = human(_("立案审查"), "proposals.review_proposal").Next(this.check_accepted)
    check_accepted = flow.If(this.is_accepted).Then(this.assign).Else(this.end_unaccepted)
    assign = human(_("交办"), "proposals.review_proposal").Next(this.split_departments)

    split_departments = DynamicSplit(this.assignment_items).Next(this.sign)
    sign = human(_("签收"), "proposals.handle_proposal").Next(this.check_sign, task_data=carry)
    check_sign = (
        flow.If(this.reassign_requested)
        .Then(this.reassign_decide, task_data=carry)
        .Else(this.check_co, task_data=carry)
    )
    reassign_decide = human(_("调整申请审批"), "proposals.review_proposal").Next(this.sign, task_data=carry)
    check_co = flow.If(this.is_co_handler).Then(this.co_opinion, task_data=carry).Else(this.draft_reply, task_data=carry)
    co_opinion = human(_("送会办意见"), "proposals.handle_proposal").Next(this.join_departments)
    draft_reply = human(_("撰写答复函"), "proposals.handle_proposal").Next(this.sign_off, task_data=carry)
    sign_off = human(_("签发答复函"), "proposals.handle_proposal").Next(this.check_signed, task_data=carry)
    check_signed = flow.If(this.reply_signed).Then(this.join_departments).Else(this.draft_reply, task_data=carry)
    join_departments = flow.Join().Next(this.split_review)

    split_review = DynamicSplit(this.review_items).Next(this.supervision_review)
    supervision_review = human(_("督办审核"), "proposals.review_proposal").Next(this.check_passed, task_data=carry)
    check_passed = flow.If(this.reply_passed).Then(this.join_review).Else(this.revise, task_data=carry)
    revise = human(_("修改答复函"), "proposals.handle_proposal").Next(this.revise_sign_off, task_data=carry)
    revise_sign_off = human(_("签发修改后的答复函"), "proposals.handle_proposal").Next(this.check_revise_signed, task_data=carry)
    check_revise_signed = (
        flow.If(this.reply_signed)
        .Then(this.supervision_review, task_data=carry)
        .Else(this.revise, task_data=carry)
    )
    join_review = flow.Join().Next(this.split_evaluate)

    split_evaluate = DynamicSplit(this.rater_items).Next(this.evaluate)
    evaluate = human(_("评价办理结果"), assign=this.item_user).Next(this.join_evaluate)
    join_evaluate = flow.Join().Next(this.close)
    close = human(_("办结或重办"), "proposals.review_proposal").Next(this.check_rehandle, task_data=carry)
    check_rehandle = flow.If(this.rehandle_requested).Then(this.split_rehandle).Else(this.end)
    split_rehandle = DynamicSplit(this.rehandle_items).Next(this.draft_reply)

    end_unaccepted = flow.End()
    end = flow.End()

    # --- callbacks: read state or call a service ---------------------------------
    def start_process(self, activation, proposal):
        activation.process.proposal = proposal
        return activation.process

    def has_cosigners(self, activation):
        return activation.process.proposal.cosigners.exists()

    def cosigner_items(self, activation):
        return services.flow_cosigner_items(proposal=activation.process.proposal)

    def item_user(self, activation):
        from workflow.models import User

        return User.objects.get(pk=activation.task.data["user_id"])

    def proposer(self, activation):
        return activation.process.proposal.proposer

    def is_accepted(self, activation):
        return services.flow_is_accepted(proposal=activation.process.proposal)

    def assignment_items(self, activation):
        return services.flow_assignment_items(proposal=activation.process.proposal)

    def reassign_requested(self, activation):
        return bool(activation.task.data.get("reassign"))

    def is_co_handler(self, activation):
        return services.flow_is_co_handler(assignment_id=activation.task.data["assignment_id"])

    def reply_signed(self, activation):
        return bool(activation.task.data.get("signed"))

    def review_items(self, activation):
        return services.flow_review_items(proposal=activation.process.proposal)

    def reply_passed(self, activation):
        return bool(activation.task.data.get("passed"))

    def rater_items(self, activation):
        return services.flow_rater_items(proposal=activation.process.proposal)

    def rehandle_requested(self, activation):
        return bool(activation.task.data.get("rehandle"))

    def rehandle_items(self, activation):
        return services.flow_rehandle_items(proposal=activation.process.proposal)

    def task_created(self, activation):
        services.flow_task_created(task=activation.task, proposal=activation.process.proposal)
