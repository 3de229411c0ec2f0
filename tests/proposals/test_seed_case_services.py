"""The reference case (seed 004, 第28号) walked through the services."""
import datetime as dt

import pytest
from viewflow.workflow.status import STATUS

from proposals import services
from proposals.models import Proposal, ProposalTask, Reply
from tests.factories import at

pytestmark = pytest.mark.django_db(transaction=False)


def test_seed_case_end_to_end(session, category, member, office_user, handler, dept_leader, approval_dept, supervision_dept, key_leader, django_capture_on_commit_callbacks):
    with at(2019, 3, 1, 9):
        p = services.proposal_create(
            actor=member, session=session, title="关于加快“最多跑一次”改革向纵深推进的建议",
            analysis="存在问题：“多头跑”“跑很多次”等现象依然存在。", suggestions="建议：……",
            category=category, contact_name="示例委员", contact_phone="0839-0000000",
        )
        services.proposal_submit(actor=member, proposal=p)
    with at(2019, 3, 5, 9):
        p = services.proposal_review(actor=office_user, proposal=p, outcome="accept", number=28)
    assert p.number == 28 and p.display_number == "第28号" and p.year_number == "2019年度第28号"
    with at(2019, 5, 5, 9):  # a Sunday, but 2019-05-05 was a make-up working day
        p = services.proposal_assign(
            actor=office_user, proposal=p, mode="single", lead=approval_dept, is_key=False,
            supervising_unit=supervision_dept, leading_official=key_leader, is_public=True,
        )
    a = p.assignments.get()
    assert a.role == "single"
    assert p.reply_deadline.date() == dt.date(2019, 8, 5)
    sign_task = ProposalTask.objects.get(proposal=p, status=STATUS.NEW, role="handler")
    assert sign_task.department == approval_dept and sign_task.deadline is not None
    with at(2019, 5, 6, 10):
        services.assignment_sign(actor=handler, assignment=a)
    with at(2019, 7, 20, 10):
        services.extension_request(actor=handler, assignment=a, requested_until=dt.date(2019, 10, 31), reason="需结合机构改革统筹推进")
    with at(2019, 7, 22, 10):
        services.extension_decide(actor=office_user, request=a.extension_requests.get(), approve=True)
    a.refresh_from_db()
    assert a.deadline.date() == dt.date(2019, 10, 31) and a.extended
    with at(2019, 10, 25, 10):
        services.consultation_record(actor=handler, assignment=a, date=dt.date(2019, 10, 24), mode="face", participants="示例委员、示例承办人")
        services.reply_save_draft(actor=handler, assignment=a, reply_class="A", body="一、我区“最多跑一次”改革工作推进情况……", contact_person="示例联系人", contact_phone="0839-0000000")
        services.reply_submit(actor=handler, assignment=a)
    reply = Reply.objects.get(assignment=a)
    with at(2019, 10, 28, 10):
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True)
    reply.refresh_from_db()
    assert reply.doc_number == "朝审函〔2019〕1号"
    with at(2019, 10, 29, 10):
        services.reply_review(actor=office_user, reply=reply, passed=True)
    p.refresh_from_db()
    assert p.status == Proposal.Status.REPLIED
    with at(2019, 11, 1, 10):
        services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="satisfied")
    p.refresh_from_db()
    assert p.status == Proposal.Status.EVALUATED
    with at(2019, 11, 5, 10):
        services.proposal_close(actor=office_user, proposal=p, implementation_grade="A")
    p.refresh_from_db()
    assert p.status == Proposal.Status.CLOSED and p.implementation_grade == "A"
    assert p.process.status == "DONE"
