"""The complaint's life through its services: the happy path and each branch."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from complaints import services
from complaints.models import Complaint, ComplaintTask, Dispatch
from tests.complaints import factories as f
from tests.factories import at
from workflow import sms

pytestmark = pytest.mark.django_db


def _open_nodes(complaint):
    return sorted(t.flow_task.name for t in ComplaintTask.objects.filter(complaint=complaint, status__in=["NEW", "ASSIGNED"]))


def test_web_complaint_dispatched_handled_rated_closed(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint, code = f.submit()
        assert complaint.number.startswith("TS2026") and len(code) == 8
        assert complaint.status == Complaint.Status.NEW and _open_nodes(complaint) == ["triage"]
        assert code in sms.outbox[-1].text
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.DISPATCHED and _open_nodes(complaint) == ["sign"]
        task = ComplaintTask.objects.get(complaint=complaint, flow_task="complaints/flows.ComplaintFlow.sign") if False else ComplaintTask.objects.get(complaint=complaint, status="NEW")
        assert task.department == realestate_dept and task.deadline is not None
        services.dispatch_sign(actor=re_handler, dispatch=complaint.dispatches.get())
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.HANDLING and _open_nodes(complaint) == ["handle"]
        # 15 working days from 2 March 2026
        assert complaint.deadline.date().isoformat() == "2026-03-23"
        services.complaint_reply(actor=re_handler, complaint=complaint, body="已整改。")
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.REVIEWING and _open_nodes(complaint) == ["review"]
        services.complaint_review_reply(actor=dispatcher, complaint=complaint, approve=True)
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.REPLIED and _open_nodes(complaint) == ["callback"]
        token = f.last_link_token(complaint)
        services.complaint_rate_by_link(token=token, rating="satisfied")
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.CLOSED and complaint.rating == "satisfied"
        assert _open_nodes(complaint) == []
        assert complaint.process.status == "DONE"
        with pytest.raises(ValidationError):
            services.complaint_rate_by_link(token=token, rating="satisfied")


def test_bad_review_rectification_and_followup(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        with pytest.raises(ValidationError):
            services.complaint_callback(actor=dispatcher, complaint=complaint, rating="dissatisfied")  # no reason
        services.complaint_callback(actor=dispatcher, complaint=complaint, rating="dissatisfied", comment="材料还是没说清楚")
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.RECTIFYING and _open_nodes(complaint) == ["rectify"]
        services.complaint_rectify(actor=re_handler, complaint=complaint, report="已制作一次性告知单并上墙公示。")
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.REPLIED and _open_nodes(complaint) == ["followup"]
        services.complaint_rate_by_link(token=f.last_link_token(complaint), rating="basically_satisfied")
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.CLOSED and complaint.rating == "basically_satisfied"
        assert complaint.ratings.count() == 2 and complaint.ratings.filter(is_followup=True).count() == 1


def test_return_redispatch_and_improper_return(dispatcher, realestate_dept, re_handler, approval_dept, handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, approval_dept)
        dispatch = complaint.dispatches.get()
        services.dispatch_return(actor=handler, dispatch=dispatch, reason="不动产登记属不动产登记中心职责")
        assert _open_nodes(complaint) == ["return_decide"]
        new = services.dispatch_return_decide(actor=dispatcher, dispatch=dispatch, accept=True, department=realestate_dept)
        complaint.refresh_from_db()
        assert complaint.department == realestate_dept and _open_nodes(complaint) == ["sign"]
        assert ComplaintTask.objects.get(complaint=complaint, status="NEW").department == realestate_dept
        services.dispatch_return(actor=re_handler, dispatch=new, reason="不归我们管")
        services.dispatch_return_decide(actor=dispatcher, dispatch=new, accept=False, note="属本单位窗口服务")
        new.refresh_from_db()
        assert new.return_improper and new.status == Dispatch.Status.DISPATCHED
        services.dispatch_sign(actor=re_handler, dispatch=new)
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.HANDLING


def test_co_handling_waits_for_opinion(dispatcher, realestate_dept, re_handler, approval_dept, handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept, co=[approval_dept])
        for d in complaint.dispatches.all():
            services.dispatch_sign(actor=re_handler if d.department == realestate_dept else handler, dispatch=d)
        assert _open_nodes(complaint) == ["co_opinion", "handle"]
        services.complaint_reply(actor=re_handler, complaint=complaint, body="答复")
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.HANDLING and _open_nodes(complaint) == ["co_opinion"]
        services.dispatch_opinion(actor=handler, dispatch=complaint.dispatches.get(department=approval_dept), opinion="同意主办单位意见")
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.REVIEWING


def test_not_resolved_reopens_for_the_department(dispatcher, realestate_dept, re_handler):
    with at(2026, 3, 2, 9):
        complaint = f.replied(dispatcher, re_handler, realestate_dept)
        token = f.last_link_token(complaint)
    with at(2026, 3, 4, 9):
        services.complaint_not_resolved(token=token, reason="还是没有一次性告知")
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.HANDLING and complaint.handling_round == 2 and _open_nodes(complaint) == ["revise"]
        services.complaint_reply(actor=re_handler, complaint=complaint, body="第二次答复")
        services.complaint_review_reply(actor=dispatcher, complaint=complaint, approve=True)
        complaint.refresh_from_db()
        assert complaint.status == Complaint.Status.REPLIED and _open_nodes(complaint) == ["callback"]


def test_wrong_department_cannot_sign(dispatcher, realestate_dept, handler):
    with at(2026, 3, 2, 9):
        complaint = f.dispatched(dispatcher, realestate_dept)
        with pytest.raises(PermissionDenied):
            services.dispatch_sign(actor=handler, dispatch=complaint.dispatches.get())
