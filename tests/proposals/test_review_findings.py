"""Regression tests for the findings of the security/correctness review."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from proposals import selectors, services
from proposals.models import Assignment, Cosigner, ExtensionRequest, Proposal, Reply
from tests.factories import at
from tests.proposals import factories
from workflow.models import CaseEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(session, category, member, office_user, approval_dept):
    """Accepted on 2019-03-01, assigned to the approval bureau alone on 2019-03-11."""
    with at(2019, 3, 1, 9):
        return factories.assigned(proposer=member, lead=approval_dept, assign_at=(2019, 3, 11, 9))


def test_working_papers_are_not_in_the_members_timeline(client, assigned, member, handler, office_user):
    a = assigned.assignments.get()
    with at(2019, 3, 12, 9):
        services.assignment_request_reassign(actor=handler, assignment=a, reason="机密理由SECRET")
    client.force_login(member)
    assert "SECRET" not in client.get(f"/proposals/{assigned.pk}/").content.decode()
    client.force_login(office_user)
    assert "SECRET" in client.get(f"/proposals/{assigned.pk}/").content.decode()


def test_review_form_with_a_huge_number_is_a_400(client, session, category, member, office_user):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member)
    client.force_login(office_user)
    response = client.post(f"/proposals/{p.pk}/review/", {"outcome": "accept", "number": "99999999999999999999"})
    assert response.status_code == 400
    assert Proposal.objects.get(pk=p.pk).status == Proposal.Status.SUBMITTED


def test_typed_document_number_must_fit_the_series_and_advances_it(assigned, handler, dept_leader, approval_dept):
    with at(2019, 3, 12, 9):
        reply = factories.reply_of(factories.reply_submitted(assigned))
        for bad in ("朝审函〔2019〕028号", "朝审函〔2018〕5号", "别的函〔2019〕5号", "朝审函〔2019〕第5号"):
            with pytest.raises(ValidationError) as exc:
                services.reply_sign_off(actor=dept_leader, reply=reply, approve=True, doc_number=bad)
            assert "发文字号" in str(exc.value)
        services.reply_sign_off(actor=dept_leader, reply=reply, approve=True, doc_number="朝审函〔2019〕5号")
    assert Reply.objects.get(pk=reply.pk).doc_number == "朝审函〔2019〕5号"
    from workflow.models import DocumentCounter

    assert DocumentCounter.objects.get(department=approval_dept, series="letter", year=2019).last == 5


def test_contact_phone_and_cosigners_hidden_from_a_merged_proposer(client, session, category, member, member2, office_user):
    with at(2019, 3, 1, 9):
        target = factories.accepted(proposer=member)
        other = factories.submitted(proposer=member2, title="相似的建议")
        services.proposal_review(actor=office_user, proposal=other, outcome="merge", merge_into=target)
    detail = selectors.proposal_detail(user=member2, proposal=target)
    assert not detail["private"] and detail["cosigners"] == []
    client.force_login(member2)
    page = client.get(f"/proposals/{target.pk}/").content.decode()
    assert "0839-0000000" not in page
    assert selectors.proposal_detail(user=member, proposal=target)["private"]


def test_a_declined_cosigner_loses_access(session, category, member, member2):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member, cosigners=[member2])
        assert selectors.proposal_queryset(user=member2).filter(pk=p.pk).exists()
        services.cosigner_respond(actor=member2, proposal=p, accept=False)
    assert not selectors.proposal_queryset(user=member2).filter(pk=p.pk).exists()


def test_proposer_withdraws_an_unanswered_invitation(client, session, category, member, member2):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member, cosigners=[member2])
    client.force_login(member)
    page = client.get(f"/proposals/{p.pk}/").content.decode()
    assert "撤回对示例委员二的联名邀请" in page
    with at(2019, 3, 2, 9):
        response = client.post(f"/proposals/{p.pk}/withdraw-cosigner/", {"member": member2.pk})
    assert response.status_code == 302
    assert Cosigner.objects.get(proposal=p).status == Cosigner.Status.DECLINED
    # nobody left to answer: the proposal went to the office by itself
    assert Proposal.objects.get(pk=p.pk).status == Proposal.Status.SUBMITTED
    assert CaseEvent.objects.filter(case_id=p.pk, type="cosign_withdrawn").exists()
    # the co-signer can no longer respond, and another member cannot withdraw
    with pytest.raises(ValidationError):
        services.cosigner_respond(actor=member2, proposal=p, accept=True)


def test_office_waives_an_overdue_rating_then_closes(client, assigned, member, handler, dept_leader, office_user):
    with at(2019, 3, 12, 9):
        factories.replied(assigned)
    # within the 15 working days the waiver is refused
    with at(2019, 3, 20, 9):
        with pytest.raises(ValidationError) as exc:
            services.proposal_waive_evaluation(actor=office_user, proposal=assigned, note="电话未接通")
        assert "评价期限内" in str(exc.value)
    # after it, the office records it through the page and can close
    with at(2019, 4, 10, 9):
        client.force_login(office_user)
        assert "委员逾期未评价" in client.get(f"/proposals/{assigned.pk}/").content.decode()
        assert client.post(f"/proposals/{assigned.pk}/waive-evaluation/", {"note": ""}).status_code == 400
        assert client.post(f"/proposals/{assigned.pk}/waive-evaluation/", {"note": "三次电话未接通"}).status_code == 302
        assert Proposal.objects.get(pk=assigned.pk).status == Proposal.Status.EVALUATED
        services.proposal_close(actor=office_user, proposal=assigned, implementation_grade="B")
    p = Proposal.objects.get(pk=assigned.pk)
    assert p.status == Proposal.Status.CLOSED and not p.evaluations.exists()
    assert p.process.status == "DONE"


def test_pending_extension_is_cancelled_by_reassignment(assigned, handler, other_handler, office_user, hrss_dept):
    a = assigned.assignments.get()
    with at(2019, 3, 12, 9):
        services.extension_request(actor=handler, assignment=a, requested_until=dt.date(2019, 7, 31), reason="统筹")
        services.assignment_request_reassign(actor=handler, assignment=a, reason="职能不符")
        services.assignment_decide_reassign(actor=office_user, assignment=a, approve=True, new_department=hrss_dept)
    req = ExtensionRequest.objects.get()
    assert req.status == ExtensionRequest.Status.REFUSED and "调整" in req.decision_note
    with pytest.raises(ValidationError):
        services.extension_decide(actor=office_user, request=req, approve=True)


def test_consultation_refused_after_the_reply(assigned, handler, dept_leader, office_user):
    a = assigned.assignments.get()
    with at(2019, 3, 12, 9):
        factories.replied(assigned)
        with pytest.raises(ValidationError):
            services.consultation_record(actor=handler, assignment=Assignment.objects.get(pk=a.pk), date=dt.date(2019, 3, 12), mode="phone", participants="x")


def test_forwarding_only_to_a_government_department(session, category, member, office_user, supervision_dept):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member)
        with pytest.raises(ValidationError):
            services.proposal_review(actor=office_user, proposal=p, outcome="forward", forward_to=supervision_dept)
    assert Proposal.objects.get(pk=p.pk).status == Proposal.Status.SUBMITTED


def test_api_keeps_working_papers_and_contacts_from_members(client, session, category, member, member2, office_user, handler, approval_dept):
    from rest_framework.test import APIClient

    with at(2019, 3, 1, 9):
        p = factories.accepted(proposer=member)
        other = factories.submitted(proposer=member2, title="相似的建议")
        services.proposal_review(actor=office_user, proposal=other, outcome="merge", merge_into=p)
        p = factories.assigned(p, lead=approval_dept, assign_at=(2019, 3, 11, 9))
    a = p.assignments.get()
    with at(2019, 3, 12, 9):
        services.extension_request(actor=handler, assignment=a, requested_until=dt.date(2019, 7, 31), reason="内部理由EXT")
        services.assignment_request_reassign(actor=handler, assignment=a, reason="内部理由REASSIGN")
    api = APIClient()
    api.force_authenticate(member)
    timeline = api.get(f"/api/v1/proposals/{p.pk}/timeline/").content.decode()
    assignment = api.get(f"/api/v1/proposal-assignments/{a.pk}/").content.decode()
    assert "REASSIGN" not in timeline and "EXT" not in timeline
    assert "REASSIGN" not in assignment and "EXT" not in assignment
    assert api.get(f"/api/v1/proposal-extensions/{a.extension_requests.get().pk}/").status_code == 403
    # the proposer of the merged proposal opens the target without its proposer's phone
    api.force_authenticate(member2)
    data = api.get(f"/api/v1/proposals/{p.pk}/").json()
    assert data["contact_phone"] == "" and data["cosigners"] == []
    # the office sees everything
    api.force_authenticate(office_user)
    assert "REASSIGN" in api.get(f"/api/v1/proposal-assignments/{a.pk}/").content.decode()
    assert api.get(f"/api/v1/proposals/{p.pk}/").json()["contact_phone"] == "0839-0000000"
    # the member directory is for members
    api.force_authenticate(handler)
    assert api.get("/api/v1/proposal-cosign-candidates/").status_code == 403
    api.force_authenticate(member)
    assert api.get("/api/v1/proposal-cosign-candidates/").status_code == 200


def test_api_withdraw_and_waive(session, category, member, member2, office_user):
    from rest_framework.test import APIClient

    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member, cosigners=[member2])
    api = APIClient()
    api.force_authenticate(member2)
    assert api.post(f"/api/v1/proposals/{p.pk}/withdraw-cosigner/", {"member": member2.pk}, format="json").status_code == 403
    api.force_authenticate(member)
    with at(2019, 3, 2, 9):
        r = api.post(f"/api/v1/proposals/{p.pk}/withdraw-cosigner/", {"member": member2.pk}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == Proposal.Status.SUBMITTED
    api.force_authenticate(office_user)
    r = api.post(f"/api/v1/proposals/{p.pk}/waive-evaluation/", {"note": "x"}, format="json")
    assert r.status_code == 400


def test_public_and_supervision_pages_use_a_fixed_number_of_queries(client, session, category, member, office_user, handler, dept_leader, approval_dept, supervisor, supervision_dept, key_leader):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def closed_key_case(n):
        with at(2019, 3, 1, 9):
            p = factories.assigned(
                proposer=member, title=f"公开提案{n}", lead=approval_dept, is_key=True, leading_official=key_leader,
                supervising_unit=supervision_dept, assign_at=(2019, 3, 11, 9),
            )
        with at(2019, 3, 12, 9):
            factories.closed(p)

    def count(url):
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    closed_key_case(1)
    client.logout()
    public_one = count("/proposals/public/")
    client.force_login(supervisor)
    supervision_one = count("/proposals/supervision/")
    for n in range(2, 6):
        closed_key_case(n)
    client.logout()
    assert count("/proposals/public/") == public_one
    client.force_login(supervisor)
    page = client.get("/proposals/supervision/").content.decode()
    assert "公开提案5" in page
    assert count("/proposals/supervision/") == supervision_one


def test_consultation_cannot_predate_the_assignment(assigned, handler):
    with at(2019, 3, 12, 9):
        a = factories.signed(assigned).assignments.get()
        with pytest.raises(ValidationError) as exc:
            services.consultation_record(actor=handler, assignment=a, date=dt.date(1, 1, 1), mode="phone", participants="x")
        assert "早于交办日期" in str(exc.value)
        services.consultation_record(actor=handler, assignment=a, date=dt.date(2019, 3, 11), mode="phone", participants="x")
