"""Who may do what with a complaint: one predicate per action that is not a
flow task, used by the services, the pages' action cards and the API.
Flow tasks are decided by the task scope (workflow.selectors.open_tasks) and
checked again by their service (role and department)."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.flow.runtime import step_deadline
from workflow.permissions import ALLOW, Decision, not_now, role_decision
from workflow.selectors import user_has_role, user_membership_pairs

from .models import Appeal, Complaint, ComplaintExtension, ComplaintRating, Dispatch, Suspension
from .roles import HOTLINE_ROLES, Role

CASE_KIND = "complaint"  # the time-limit rules' case kind (services._common.CASE_KIND)
WORKING = (Complaint.Status.HANDLING, Complaint.Status.RECTIFYING)


def user_department_ids(user, role: str | None = None) -> set[int]:
    return {dept for r, dept in user_membership_pairs(user=user) if role is None or r == role}


def is_dispatcher(user) -> bool:
    return user_has_role(user=user, role=Role.DISPATCHER)


def sees_all(user) -> bool:
    """The hotline (dispatchers, operators) and supervisors see every complaint."""
    return any(user_has_role(user=user, role=r) for r in (Role.DISPATCHER, Role.OPERATOR, Role.SUPERVISOR))


def is_hotline(user) -> bool:
    """The hotline's own roles (dispatchers, operators): the citizen's name, free text and
    the case's change history unmasked, the reply notice. Their phone, ID number, e-mail
    and contact address are masked for them too: they reveal them (audited) to call back."""
    return any(user_has_role(user=user, role=r) for r in HOTLINE_ROLES)


def handling_department(user, complaint: Complaint):
    """The department (of the case's current dispatches) in which the user handles it, or None."""
    mine = user_department_ids(user, Role.HANDLER) | user_department_ids(user, Role.DEPT_LEADER)
    for dispatch in complaint.dispatches.exclude(status=Dispatch.Status.REDIRECTED).select_related("department"):
        if dispatch.department_id in mine:
            return dispatch.department
    return None


def can_view(user, complaint: Complaint) -> Decision:
    if sees_all(user) or handling_department(user, complaint) is not None:
        return ALLOW
    return Decision(False, _("您无权查看此工单。"))


def _lead_handler(user, complaint: Complaint, message: str) -> Decision:
    if complaint.department_id is None:
        return not_now(_("工单尚未派单。"))
    return role_decision(user, Role.HANDLER, message, department=complaint.department)


def can_add_note(user, complaint: Complaint) -> Decision:
    if handling_department(user, complaint) is None and not is_dispatcher(user):
        return Decision(False, _("只有承办单位或派单员可以记录办理情况。"))
    if not complaint.is_open:
        return not_now(_("工单已结束。"))
    return ALLOW


def can_instruct(user, complaint: Complaint) -> Decision:
    if complaint.department_id is None or not user_has_role(user=user, role=Role.DEPT_LEADER, department=complaint.department):
        return Decision(False, _("只有承办单位的领导可以批示。"))
    if not complaint.is_open:
        return not_now(_("工单已结束。"))
    return ALLOW


def can_reveal_contact(user, complaint: Complaint) -> Decision:
    """The hotline (to call back), the departments handling the case and supervisors."""
    if is_hotline(user):
        return ALLOW
    if handling_department(user, complaint) is not None or user_has_role(user=user, role=Role.SUPERVISOR):
        return ALLOW
    return Decision(False, _("您无权查看群众的联系方式。"))


def can_request_extension(user, complaint: Complaint) -> Decision:
    decided = _lead_handler(user, complaint, _("只有主办单位的承办人可以申请延期。"))
    if not decided:
        return decided
    if complaint.status != Complaint.Status.HANDLING or complaint.deadline is None:
        return not_now(_("只有办理中的工单可以申请延期。"))
    if complaint.extension_requests.filter(status=ComplaintExtension.Status.PENDING).exists():
        return not_now(_("已有待审批的延期申请。"))
    return ALLOW


def can_request_suspension(user, complaint: Complaint) -> Decision:
    decided = _lead_handler(user, complaint, _("只有主办单位的承办人可以申请挂起。"))
    if not decided:
        return decided
    if complaint.status not in WORKING:
        return not_now(_("只有办理中或整改中的工单可以挂起。"))
    if complaint.is_suspended:
        return not_now(_("工单已挂起。"))
    if complaint.suspensions.filter(status=Suspension.Status.PENDING).exists():
        return not_now(_("已有待审批的挂起申请。"))
    return ALLOW


def can_resume(user, complaint: Complaint) -> Decision:
    if not (is_dispatcher(user) or (complaint.department_id and user_has_role(user=user, role=Role.HANDLER, department=complaint.department))):
        return Decision(False, _("只有主办单位的承办人或派单员可以恢复办理。"))
    if not complaint.is_suspended:
        return not_now(_("工单没有挂起。"))
    return ALLOW


def can_decide_requests(user) -> Decision:
    """Extensions and suspensions are approved by a dispatcher or a supervisor."""
    if is_dispatcher(user) or user_has_role(user=user, role=Role.SUPERVISOR):
        return ALLOW
    return Decision(False, _("只有派单员或督查人员可以审批。"))


def can_appeal(user, complaint: Complaint, rating: ComplaintRating) -> Decision:
    decided = _lead_handler(user, complaint, _("只有主办单位可以申诉差评。"))
    if not decided:
        decided = role_decision(user, Role.DEPT_LEADER, _("只有主办单位可以申诉差评。"), department=complaint.department) if complaint.department_id else decided
    if not decided:
        return decided
    if rating.complaint_id != complaint.pk or not rating.is_bad or rating.excluded:
        return not_now(_("只有差评可以申诉。"))
    if Appeal.objects.filter(rating=rating).exists():
        return not_now(_("该差评已申诉过。"))
    if timezone.now() > step_deadline(case_kind=CASE_KIND, step="appeal", start=rating.created_at):
        return not_now(_("已超过申诉期限。"))
    return ALLOW


def can_say_not_resolved(complaint: Complaint, now=None) -> bool:
    """At the first call-back of a round (not after a rectification: that case
    gets one follow-up rating and closes), within the rule's window after the
    reply, before it is rated."""
    from workflow.flow.runtime import OPEN_TASK

    from .flows import ComplaintFlow
    from .models import ComplaintTask

    if complaint.status != Complaint.Status.REPLIED or complaint.replied_at is None:
        return False
    if complaint.ratings.filter(round=complaint.handling_round).exists():
        return False
    if not ComplaintTask.objects.filter(complaint=complaint, flow_task=ComplaintFlow.callback, status__in=OPEN_TASK).exists():
        return False
    return (now or timezone.now()) <= step_deadline(case_kind=CASE_KIND, step="reopen_window", start=complaint.replied_at)


def can_decide_appeal(user) -> Decision:
    return role_decision(user, Role.SUPERVISOR, _("只有督查人员可以复核申诉。"))


# --- supervision notices (workflow.notices) ----------------------------------------------
def may_issue_notice(user, complaint: Complaint) -> bool:
    """Supervisors supervise every complaint (they see them all)."""
    return user_has_role(user=user, role=Role.SUPERVISOR)


def notice_departments(complaint: Complaint) -> list:
    """The departments the open complaint is dispatched to (not redirected or returned)."""
    if not complaint.is_open:
        return []
    seen, result = set(), []
    for d in complaint.dispatches.exclude(status__in=[Dispatch.Status.REDIRECTED, Dispatch.Status.RETURNED]).select_related("department").order_by("role", "pk"):
        if d.department_id not in seen:
            seen.add(d.department_id)
            result.append(d.department)
    return result
