"""Scoped reads of proposals (proposals/selectors.py) and the task inbox/queue."""
import pytest
from viewflow.workflow.status import STATUS

from proposals import selectors, services
from proposals.flows import ProposalFlow
from proposals.models import Proposal, ProposalTask
from tests.factories import DepartmentFactory, UserFactory, at
from tests.proposals import factories
from workflow.models import Department
from proposals.roles import Role
from workflow.selectors import inbox_tasks, queue_tasks

pytestmark = pytest.mark.django_db(transaction=False)


def visible(user):
    return set(selectors.proposal_queryset(user=user).values_list("title", flat=True))


@pytest.fixture
def world(session, category, member, member2, office_user, approval_dept, hrss_dept, supervision_dept, key_leader):
    """
    key:       member's, assigned to 区行政审批局, key proposal led by key_leader, supervised by 督查室
    plain:     member2's, assigned to 区人社局
    supervised: member2's, assigned to 区人社局, supervised by 督查室 (not key)
    forwarded: member2's, forwarded to 区行政审批局 as an opinion
    submitted: member2's, awaiting review
    draft / draft2: drafts of member / member2
    """
    times = {"accept_at": (2019, 3, 5, 9), "assign_at": (2019, 3, 11, 9)}
    with at(2019, 3, 1, 9):  # all submitted (or drafted) on 2019-03-01, reviewed on 03-05, assigned on 03-11
        factories.assigned(
            proposer=member, title="key", lead=approval_dept, is_key=True, leading_official=key_leader,
            supervising_unit=supervision_dept, **times,
        )
        factories.assigned(proposer=member2, title="plain", lead=hrss_dept, **times)
        factories.assigned(proposer=member2, title="supervised", lead=hrss_dept, supervising_unit=supervision_dept, **times)
        forwarded = factories.submitted(proposer=member2, title="forwarded")
        factories.submitted(proposer=member2, title="submitted")
        factories.draft(proposer=member, title="draft")
        factories.draft(proposer=member2, title="draft2")
    with at(2019, 3, 5, 9):
        services.proposal_review(actor=office_user, proposal=forwarded, outcome="forward", forward_to=approval_dept)
    return {p.title: p for p in Proposal.objects.all()}


def test_member_sees_own_proposals_and_drafts_only(world, member, member2):
    assert visible(member) == {"key", "draft"}
    assert visible(member2) == {"plain", "supervised", "forwarded", "submitted", "draft2"}


def test_department_people_see_their_department_only(world, handler, dept_leader, other_handler, other_leader):
    assert visible(handler) == {"key", "forwarded"}
    assert visible(dept_leader) == {"key", "forwarded"}
    assert visible(other_handler) == {"plain", "supervised"}
    assert visible(other_leader) == {"plain", "supervised"}


def test_supervisors_see_their_units_and_key_proposals(world, supervisor):
    assert visible(supervisor) == {"key", "supervised"}
    other_unit = DepartmentFactory(code="sup2", name="另一督查室", short_name="督查二室", kind=Department.Kind.SUPERVISION_OFFICE)
    other_supervisor = UserFactory(username="supervisor2", roles=[(other_unit, Role.SUPERVISOR)])
    assert visible(other_supervisor) == {"key"}


def test_key_leader_sees_the_key_proposals_they_lead(world, key_leader):
    assert visible(key_leader) == {"key"}
    gov = key_leader.memberships.get().department
    other_leader = UserFactory(username="keyleader2", roles=[(gov, Role.KEY_LEADER)])
    assert visible(other_leader) == set()


def test_office_sees_everything_but_drafts(world, office_user, admin_user):
    assert visible(office_user) == {"key", "plain", "supervised", "forwarded", "submitted"}
    assert visible(admin_user) == {"key", "plain", "supervised", "forwarded", "submitted"}


def test_users_without_a_role_see_nothing(world, dispatcher):
    assert visible(dispatcher) == set()
    nobody = UserFactory(username="nobody")
    assert visible(nobody) == set()


def test_proposal_get_does_not_leak(world, member, other_handler):
    key = world["key"]
    assert selectors.proposal_get(user=member, pk=key.pk) == key
    with pytest.raises(Proposal.DoesNotExist):
        selectors.proposal_get(user=other_handler, pk=key.pk)
    with pytest.raises(Proposal.DoesNotExist):
        selectors.proposal_get(user=member, pk=world["draft2"].pk)


def test_cosigners_see_it_once_invited_not_as_a_draft(session, category, member, member2):
    with at(2019, 3, 1, 9):
        p = factories.draft(proposer=member, title="joint", cosigners=[member2])
    assert visible(member2) == set()
    with at(2019, 3, 1, 10):
        services.proposal_submit(actor=member, proposal=p)
    assert visible(member2) == {"joint"}


def test_merged_proposer_sees_the_target(world, session, category, member2, office_user):
    with at(2019, 3, 12, 9):
        p = factories.submitted(proposer=member2, title="similar")
        services.proposal_review(actor=office_user, proposal=p, outcome="merge", merge_into=world["key"])
    assert {"key", "similar"} <= visible(member2)


def test_reassigned_away_department_loses_sight(world, handler, other_handler, office_user, hrss_dept):
    a = world["key"].assignments.get()
    with at(2019, 3, 12, 9):
        services.assignment_request_reassign(actor=handler, assignment=a, reason="不属于本单位职责")
        services.assignment_decide_reassign(actor=office_user, assignment=a, approve=True, new_department=hrss_dept, note="改派")
    assert "key" not in visible(handler)
    assert "key" in visible(other_handler)


def test_proposal_list_filters_and_overdue(world, office_user, hrss_dept):
    titles = lambda qs: {p.title for p in qs}  # noqa: E731
    assert titles(selectors.proposal_list(user=office_user, filters=selectors.ProposalFilters(department=hrss_dept.pk))) == {"plain", "supervised"}
    assert titles(selectors.proposal_list(user=office_user, filters=selectors.ProposalFilters(is_key=True))) == {"key"}
    assert titles(selectors.proposal_list(user=office_user, filters=selectors.ProposalFilters(q="plain"))) == {"plain"}
    number = world["plain"].number
    assert titles(selectors.proposal_list(user=office_user, filters=selectors.ProposalFilters(q=str(number)))) == {"plain"}
    with at(2019, 3, 12, 9):
        assert not any(p.overdue for p in selectors.proposal_list(user=office_user))
    # the sign tasks (3 working days) are overdue a week later
    with at(2019, 3, 20, 9):
        rows = {p.title: p.overdue for p in selectors.proposal_list(user=office_user)}
        assert rows["key"] and rows["plain"]
        assert titles(selectors.proposal_list(user=office_user, filters=selectors.ProposalFilters(overdue=True))) >= {"key", "plain", "supervised"}


# --- tasks -----------------------------------------------------------------------------------------
def _names(qs):
    return sorted((t.flow_task.name, t.proposal.title) for t in qs)


def test_open_tasks_per_role_and_department(world, member, member2, handler, other_handler, dept_leader, office_user, supervisor, key_leader):
    assert _names(selectors.open_tasks_for(user=handler)) == [("sign", "key")]
    assert _names(selectors.open_tasks_for(user=other_handler)) == [("sign", "plain"), ("sign", "supervised")]
    assert _names(selectors.open_tasks_for(user=office_user)) == [("review", "submitted")]
    assert list(selectors.open_tasks_for(user=dept_leader)) == []
    assert list(selectors.open_tasks_for(user=member)) == []
    assert list(selectors.open_tasks_for(user=supervisor)) == []
    assert list(selectors.open_tasks_for(user=key_leader)) == []
    assert list(selectors.open_tasks_for(user=handler, proposal=world["plain"])) == []
    # the leader sees the sign-off once a reply is submitted
    with at(2019, 3, 12, 9):
        factories.signed(world["key"])
        assert _names(selectors.open_tasks_for(user=handler)) == [("draft_reply", "key")]
        factories.reply_submitted(world["key"])
    assert _names(selectors.open_tasks_for(user=dept_leader)) == [("sign_off", "key")]
    assert list(selectors.open_tasks_for(user=handler)) == []
    assert _names(selectors.open_tasks_for(user=member)) == []


def test_office_sees_its_tasks_about_a_department(world, handler, dept_leader, office_user, other_handler):
    """Office tasks about one department's work (调整审批, 督办审核) carry that department."""
    a = world["key"].assignments.get()
    with at(2019, 3, 12, 9):
        services.assignment_request_reassign(actor=handler, assignment=a, reason="不属于本单位职责")
    decide = ProposalTask.objects.get(flow_task=ProposalFlow.reassign_decide, status=STATUS.NEW)
    assert decide.department_id == a.department_id
    assert ("reassign_decide", "key") in _names(selectors.open_tasks_for(user=office_user))
    assert decide.pk in set(queue_tasks(user=office_user).values_list("pk", flat=True))
    # and the department itself does not get the office's task
    assert ("reassign_decide", "key") not in _names(selectors.open_tasks_for(user=handler))
    assert decide.pk not in set(queue_tasks(user=handler).values_list("pk", flat=True))
    with at(2019, 3, 13, 9):
        services.assignment_decide_reassign(actor=office_user, assignment=a, approve=False, note="属于贵单位职责")
        factories.reply_signed(world["key"])
    review = ProposalTask.objects.get(flow_task=ProposalFlow.supervision_review, status=STATUS.NEW)
    assert ("supervision_review", "key") in _names(selectors.open_tasks_for(user=office_user))
    assert review.pk in set(queue_tasks(user=office_user).values_list("pk", flat=True))
    assert review.pk not in set(queue_tasks(user=dept_leader).values_list("pk", flat=True))


def test_queue_does_not_show_department_tasks_to_other_departments(world, handler, other_handler, dept_leader, member, office_user):
    key_sign = ProposalTask.objects.get(proposal=world["key"], flow_task=ProposalFlow.sign)
    plain_sign = ProposalTask.objects.get(proposal=world["plain"], flow_task=ProposalFlow.sign)
    handler_queue = set(queue_tasks(user=handler).values_list("pk", flat=True))
    other_queue = set(queue_tasks(user=other_handler).values_list("pk", flat=True))
    assert key_sign.pk in handler_queue and plain_sign.pk not in handler_queue
    assert plain_sign.pk in other_queue and key_sign.pk not in other_queue
    # the leader of the same department does not sign (a handler's task)
    assert key_sign.pk not in set(queue_tasks(user=dept_leader).values_list("pk", flat=True))
    assert not queue_tasks(user=member).exists()
    office_queue = set(queue_tasks(user=office_user).values_list("pk", flat=True))
    assert key_sign.pk not in office_queue
    assert ProposalTask.objects.get(flow_task=ProposalFlow.review, status=STATUS.NEW).pk in office_queue


def test_member_inbox_holds_cosign_and_evaluate_tasks(session, category, member, member2, office_user, approval_dept, handler, dept_leader):
    with at(2019, 3, 1, 9):
        p = factories.submitted(proposer=member, title="joint", cosigners=[member2])
    assert [t.flow_task.name for t in inbox_tasks(user=member2)] == ["cosign"]
    assert not inbox_tasks(user=member).exists()
    assert [t.flow_task.name for t in selectors.open_tasks_for(user=member2)] == ["cosign"]
    with at(2019, 3, 2, 9):
        services.cosigner_respond(actor=member2, proposal=p, accept=True)
    # the proposal went to the office by itself: no second submission waits in the proposer's inbox
    assert not inbox_tasks(user=member).exists()
    assert not inbox_tasks(user=member2).exists()


def test_detail_shows_replies_to_whom_they_concern(world, member, handler, dept_leader, other_handler, office_user, supervisor):
    key = world["key"]
    with at(2019, 3, 12, 9):
        factories.reply_drafted(key)
    # a draft reply: the department and the office, not the member
    assert len(selectors.proposal_detail(user=handler, proposal=key)["replies"]) == 1
    assert len(selectors.proposal_detail(user=office_user, proposal=key)["replies"]) == 1
    assert selectors.proposal_detail(user=member, proposal=key)["replies"] == []
    assert selectors.proposal_detail(user=supervisor, proposal=key)["replies"] == []
    with at(2019, 3, 13, 9):
        factories.replied(key)
    assert factories.reply_of(key).replied_at is not None
    assert len(selectors.proposal_detail(user=member, proposal=key)["replies"]) == 1
    assert len(selectors.proposal_detail(user=supervisor, proposal=key)["replies"]) == 1
    assert [t.flow_task.name for t in selectors.proposal_detail(user=member, proposal=key)["my_tasks"]] == ["evaluate"]


def test_public_proposals_show_only_published_replies(world, handler, dept_leader, office_user):
    key = world["key"]
    assert not selectors.public_proposals().exists()
    with at(2019, 3, 12, 9):
        factories.replied(key)
    # replied but not closed: not published yet (a 不满意 could send it back)
    assert not selectors.public_proposals().exists()
    with at(2019, 3, 12, 15):
        services.proposal_evaluate(actor=key.proposer, proposal=key, process_rating="satisfied", result_rating="satisfied")
        services.proposal_close(actor=office_user, proposal=key, implementation_grade="A")
    assert list(selectors.public_proposals()) == [key]
    with at(2019, 3, 13, 9):
        services.proposal_set_public(actor=office_user, proposal=key, is_public=False)
    assert not selectors.public_proposals().exists()


def test_supervision_list(world, supervisor, office_user):
    with at(2019, 3, 12, 9):
        assert {p.title for p in selectors.supervision_list(user=supervisor)} == {"key"}
    with at(2019, 3, 20, 9):
        assert {p.title for p in selectors.supervision_list(user=supervisor)} == {"key", "supervised"}
        # the review of "submitted" (10 working days from 2019-03-01) is overdue too
        assert {p.title for p in selectors.supervision_list(user=office_user)} == {"key", "plain", "supervised", "submitted"}
