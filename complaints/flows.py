"""The complaint process as one viewflow flow on the shared engine.

    start ─ check_on_spot ─┬─ end                       (现场办结 at intake)
                           └─ triage ─ check_dispatched ─┬─ end   (不予受理 / 并案 / 拆分)
                                                         └─ split_departments ═ sign (per department)
    sign ─ check_sign ─┬─ return_decide ─ sign           (退单: re-dispatched, or ruled improper)
                       └─ check_co ─┬─ co_opinion ───────────────────────────────┐ (协办)
                                    └─ handle ─ check_sign_off ─┬────────────────┴═ join_departments
                                          ^─── returned ─ sign_off ─┘
    join_departments ─ begin_review ─ review ─ check_passed ─┬─ deliver ─ callback ─ check_callback
                       ^── revise_sign_off / revise ─────────┘ (returned)
    check_callback ─┬─ revise        ("not resolved": handled again, reviewed again)
                    ├─ rectify ─ followup ─ end   (bad review: rectification, one follow-up rating)
                    └─ end           (rated, or the citizen could not be reached: closed)

Each human node is declared once with workflow.flow.runtime.human (title,
role, department, deadline, page and API action). Gateways read the case as
it is now; the dispatch a branch is about travels in task.data (carry).
"""
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from workflow.flow.nodes import DynamicSplit
from workflow.flow.runtime import CaseFlowMixin, carry, human

from . import services
from .models import Complaint, ComplaintProcess, ComplaintReply, ComplaintTask, Dispatch
from .roles import Role

DISPATCH, HANDLE = "complaints.dispatch_complaint", "complaints.handle_complaint"


class ComplaintFlow(CaseFlowMixin, flow.Flow):
    """投诉工单办理"""

    case_kind = services.CASE_KIND
    case_field = "complaint"

    process_class = ComplaintProcess
    task_class = ComplaintTask

    start = flow.StartHandle(this.start_process).Next(this.check_on_spot)
    check_on_spot = flow.If(this.closed_at_intake).Then(this.end).Else(this.triage)
    triage = human(
        _("派单"), role=Role.DISPATCHER, permission=DISPATCH, deadline=this.dispatch_due,
        page="complaints:triage", api="complaint-triage",
    ).Next(this.check_dispatched)
    check_dispatched = flow.If(this.is_dispatched).Then(this.split_departments).Else(this.end)

    split_departments = DynamicSplit(this.dispatch_items).Next(this.sign)
    sign = human(
        _("签收"), role=Role.HANDLER, permission=HANDLE, department=this.dispatch_department, deadline=this.sign_due,
        page="complaints:sign", api="complaint-dispatch-sign", action_object="dispatch_id",
    ).Next(this.check_sign, task_data=carry)
    check_sign = flow.If(this.returned).Then(this.return_decide, task_data=carry).Else(this.check_co, task_data=carry)
    return_decide = human(
        _("退单审核"), role=Role.DISPATCHER, permission=DISPATCH, department=this.dispatch_department, deadline="return_decide",
        page="complaints:return_decide", api="complaint-dispatch-return-decision", action_object="dispatch_id",
    ).Next(this.sign, task_data=carry)
    check_co = flow.If(this.is_co).Then(this.co_opinion, task_data=carry).Else(this.handle, task_data=carry)
    co_opinion = human(
        _("协办意见"), role=Role.HANDLER, permission=HANDLE, department=this.dispatch_department, deadline=this.handle_deadline,
        page="complaints:opinion", api="complaint-dispatch-opinion", action_object="dispatch_id",
    ).Next(this.join_departments)
    handle = human(
        _("办理答复"), role=Role.HANDLER, permission=HANDLE, department=this.lead_department, deadline=this.handle_deadline,
        page="complaints:reply", api="complaint-reply",
    ).Next(this.check_sign_off)
    check_sign_off = flow.If(this.needs_sign_off).Then(this.sign_off).Else(this.join_departments)
    sign_off = human(
        _("领导签发答复"), role=Role.DEPT_LEADER, permission=HANDLE, department=this.lead_department, deadline="sign_off",
        page="complaints:sign_off", api="complaint-reply-sign-off",
    ).Next(this.check_signed)
    check_signed = flow.If(this.reply_signed).Then(this.join_departments).Else(this.handle)
    join_departments = flow.Join().Next(this.begin_review)

    begin_review = flow.Function(this.to_review).Next(this.review)
    review = human(
        _("答复审核"), role=Role.DISPATCHER, permission=DISPATCH, deadline="reply_review",
        page="complaints:review", api="complaint-reply-review",
    ).Next(this.check_passed)
    check_passed = flow.If(this.reply_passed).Then(this.deliver).Else(this.revise)
    revise = human(
        _("重新办理答复"), role=Role.HANDLER, permission=HANDLE, department=this.lead_department, deadline=this.handle_deadline,
        page="complaints:reply", api="complaint-reply",
    ).Next(this.check_revise_sign_off)
    check_revise_sign_off = flow.If(this.needs_sign_off).Then(this.revise_sign_off).Else(this.to_review_again)
    revise_sign_off = human(
        _("领导签发答复"), role=Role.DEPT_LEADER, permission=HANDLE, department=this.lead_department, deadline="sign_off",
        page="complaints:sign_off", api="complaint-reply-sign-off",
    ).Next(this.check_revise_signed)
    check_revise_signed = flow.If(this.reply_signed).Then(this.to_review_again).Else(this.revise)
    to_review_again = flow.Function(this.to_review).Next(this.review)

    deliver = flow.Function(this.deliver_reply).Next(this.callback)
    callback = human(
        _("回访评价"), role=Role.DISPATCHER, permission=DISPATCH, deadline="callback",
        page="complaints:callback", api="complaint-callback",
    ).Next(this.check_callback)
    check_callback = (
        flow.Switch()
        .Case(this.revise, this.is_reopened)
        .Case(this.rectify, this.is_rectifying)
        .Default(this.end)
    )
    rectify = human(
        _("差评整改"), role=Role.HANDLER, permission=HANDLE, department=this.lead_department, deadline=this.rectify_due,
        page="complaints:rectify", api="complaint-rectify",
    ).Next(this.followup)
    followup = human(
        _("整改后回访"), role=Role.DISPATCHER, permission=DISPATCH, deadline="callback",
        page="complaints:callback", api="complaint-callback",
    ).Next(this.end)

    end = flow.End()

    # --- callbacks: read domain state, or call a service ----------------------------
    def start_process(self, activation, complaint):
        activation.process.complaint = complaint
        return activation.process

    def _complaint(self, activation) -> Complaint:
        return Complaint.objects.select_related("department").get(pk=activation.process.complaint_id)

    def _dispatch(self, activation) -> Dispatch | None:
        dispatch_id = (activation.task.data or {}).get("dispatch_id")
        return Dispatch.objects.select_related("department").filter(pk=dispatch_id).first() if dispatch_id else None

    # Who, where and when
    def dispatch_department(self, activation):
        dispatch = self._dispatch(activation)
        return dispatch.department if dispatch else None

    def lead_department(self, activation):
        return self._complaint(activation).department

    def dispatch_due(self, activation):
        return self._complaint(activation).dispatch_due

    def sign_due(self, activation):
        dispatch = self._dispatch(activation)
        return dispatch.sign_due if dispatch else None

    def handle_deadline(self, activation):
        """The case's own deadline (extensions and suspensions move it)."""
        return self._complaint(activation).deadline

    def rectify_due(self, activation):
        return self._complaint(activation).rectify_due

    # Gateways: what the case is now
    def closed_at_intake(self, activation):
        return Complaint.objects.filter(pk=activation.process.complaint_id, status=Complaint.Status.CLOSED).exists()

    def is_dispatched(self, activation):
        return Complaint.objects.filter(pk=activation.process.complaint_id, status=Complaint.Status.DISPATCHED).exists()

    def returned(self, activation):
        return Dispatch.objects.filter(pk=activation.task.data["dispatch_id"], status=Dispatch.Status.RETURNED).exists()

    def is_co(self, activation):
        return Dispatch.objects.filter(pk=activation.task.data["dispatch_id"], role=Dispatch.Role.CO).exists()

    def needs_sign_off(self, activation):
        complaint = self._complaint(activation)
        return ComplaintReply.objects.filter(complaint=complaint, round=complaint.handling_round, status=ComplaintReply.Status.DRAFT).exists()

    def reply_signed(self, activation):
        complaint = self._complaint(activation)
        latest = complaint.replies.filter(round=complaint.handling_round).order_by("-pk").first()
        return bool(latest and latest.status == ComplaintReply.Status.SIGNED)

    def reply_passed(self, activation):
        complaint = self._complaint(activation)
        latest = complaint.replies.filter(round=complaint.handling_round).order_by("-pk").first()
        return bool(latest and latest.status == ComplaintReply.Status.PASSED)

    def is_reopened(self, activation):
        return Complaint.objects.filter(pk=activation.process.complaint_id, status=Complaint.Status.HANDLING).exists()

    def is_rectifying(self, activation):
        return Complaint.objects.filter(pk=activation.process.complaint_id, status=Complaint.Status.RECTIFYING).exists()

    # Items of the runtime split (reads only)
    def dispatch_items(self, activation):
        return services.flow_dispatch_items(complaint=activation.process.complaint)

    # Automatic steps: services with no acting person
    def to_review(self, activation):
        services.complaint_begin_review(complaint=activation.process.complaint)

    def deliver_reply(self, activation):
        services.complaint_deliver(complaint=activation.process.complaint)
