"""Scoping details: working papers hidden from members, odd search text, leader ≠ handler."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from proposals import selectors, services
from proposals.models import Proposal
from tests.factories import at
from tests.proposals import factories
from proposals.roles import Role
from workflow.selectors import user_departments

pytestmark = pytest.mark.django_db


def test_co_opinions_and_reassign_reasons_are_hidden_from_the_member(
    session, category, member, office_user, approval_dept, hrss_dept, handler, other_handler
):
    # given a lead + co case where the co-handler sent an opinion and the lead asked to be re-assigned
    with at(2019, 3, 1, 9):
        p = factories.assigned(proposer=member, lead=approval_dept, co_handlers=[hrss_dept], assign_at=(2019, 3, 11, 9))
    co = p.assignments.get(department=hrss_dept)
    lead = p.assignments.get(department=approval_dept)
    with at(2019, 3, 12, 9):
        services.assignment_sign(actor=other_handler, assignment=co)
        services.assignment_send_opinion(actor=other_handler, assignment=co, opinion="人社局内部意见")
        services.assignment_request_reassign(actor=handler, assignment=lead, reason="职能不符")
    # when the member and the office read the detail
    for_member = selectors.proposal_detail(user=member, proposal=p)
    for_office = selectors.proposal_detail(user=office_user, proposal=p)
    # then only the office (and the departments) see the working papers
    assert not for_member["internal"]
    assert all(a.opinion == "" and a.reassign_reason == "" for a in for_member["assignments"])
    assert list(for_member["assignments"][0].extension_requests.all()) == []
    assert for_office["internal"]
    assert {a.opinion for a in for_office["assignments"]} == {"", "人社局内部意见"}
    assert selectors.proposal_detail(user=other_handler, proposal=p)["internal"]


@pytest.mark.parametrize("text", ["²", "٣", "28", "最多跑一次", "1" * 30])
def test_search_text_never_breaks_the_list(session, category, member, office_user, text):
    with at(2019, 3, 1, 9):
        factories.accepted(proposer=member, number=28)
    assert isinstance(list(selectors.proposal_list(user=office_user, filters=selectors.ProposalFilters(q=text))), list)
    hits = list(selectors.proposal_list(user=office_user, filters=selectors.ProposalFilters(q="28")))
    assert [p.number for p in hits] == [28]


def test_user_departments_matches_role_and_department_on_one_membership(approval_dept, hrss_dept, dept_leader):
    # given a leader of the approval bureau who is also a handler elsewhere
    from workflow import services as engine

    engine.membership_grant(actor=None, user=dept_leader, department=hrss_dept, role=Role.HANDLER)
    # then they are a handler of hrss only, a leader of approval only
    assert list(user_departments(user=dept_leader, role=Role.HANDLER)) == [hrss_dept]
    assert list(user_departments(user=dept_leader, role=Role.DEPT_LEADER)) == [approval_dept]


def test_organisation_proposal_keeps_its_organisation_name_on_edit(session, category, member):
    p = factories.draft(proposer=member)
    # a draft may lack the unit's name for now; submission asks for it
    services.proposal_update(actor=member, proposal=p, kind=Proposal.Kind.ORGANISATION)
    with pytest.raises(ValidationError) as exc:
        services.proposal_submit(actor=member, proposal=p)
    assert "提案单位名称" in str(exc.value)
    assert Proposal.objects.get(pk=p.pk).status == Proposal.Status.DRAFT
    services.proposal_update(actor=member, proposal=p, kind=Proposal.Kind.ORGANISATION, organisation_name="民盟朝天区支部")
    assert Proposal.objects.get(pk=p.pk).organisation_name == "民盟朝天区支部"


def test_submission_after_the_session_cutoff_is_refused(session, category, member):
    # given a session whose proposals close on 5 December
    session.cutoff = dt.date(2019, 12, 5)
    session.save()
    with at(2019, 12, 6, 9):
        p = factories.draft(proposer=member)
        # when submitted the day after, then it is refused and stays a draft
        with pytest.raises(ValidationError) as exc:
            services.proposal_submit(actor=member, proposal=p)
    assert "2019-12-05" in str(exc.value) and "下一次全会" in str(exc.value)
    assert Proposal.objects.get(pk=p.pk).status == Proposal.Status.DRAFT
    with at(2019, 12, 5, 17):
        assert services.proposal_submit(actor=member, proposal=p).status == Proposal.Status.SUBMITTED


def test_proposal_pages_in_english(client, session, category, member, office_user):
    # given an accepted proposal and an office user who chose English
    with at(2019, 3, 1, 9):
        p = factories.accepted(proposer=member, number=28)
    client.force_login(office_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    # when they open the list and the detail page
    listing = client.get("/proposals/").content.decode()
    detail = client.get(f"/proposals/{p.pk}/").content.decode()
    # then the interface is English (the proposal's own text stays as written)
    assert 'lang="en"' in detail
    assert "Assign" in detail and "Situation and analysis" in detail
    assert "Proposals" in listing
    assert "关于加快" in detail
