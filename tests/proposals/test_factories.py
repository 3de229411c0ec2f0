"""The proposal factories reach the state they name, with the flow's tasks as in production."""
import pytest
from viewflow.workflow.status import STATUS

from proposals.models import Assignment, Proposal, ProposalTask, Reply
from tests.factories import at
from tests.proposals import factories

pytestmark = pytest.mark.django_db

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def open_tasks(proposal):
    return sorted(t.flow_task.name for t in ProposalTask.objects.filter(proposal=proposal, status__in=OPEN))


@pytest.fixture
def people(member, office_user, handler, dept_leader, other_handler, other_leader, session):
    """One person per role, in the approval and HRSS departments."""


@pytest.mark.parametrize(
    "builder, status, tasks",
    [
        ("draft", Proposal.Status.DRAFT, []),
        ("submitted", Proposal.Status.SUBMITTED, ["review"]),
        ("accepted", Proposal.Status.ACCEPTED, ["assign"]),
        ("assigned", Proposal.Status.HANDLING, ["sign"]),
        ("signed", Proposal.Status.HANDLING, ["draft_reply"]),
        ("reply_drafted", Proposal.Status.HANDLING, ["draft_reply"]),
        ("reply_submitted", Proposal.Status.HANDLING, ["sign_off"]),
        ("reply_signed", Proposal.Status.REVIEWING, ["supervision_review"]),
        ("replied", Proposal.Status.REPLIED, ["evaluate"]),
        ("evaluated", Proposal.Status.EVALUATED, ["close"]),
        ("closed", Proposal.Status.CLOSED, []),
        ("rehandling", Proposal.Status.REHANDLING, ["draft_reply"]),
    ],
)
def test_each_builder_reaches_its_state(people, approval_dept, builder, status, tasks):
    with at(2019, 3, 1, 9):
        kwargs = {} if builder in ("draft", "submitted", "accepted") else {"lead": approval_dept}
        p = getattr(factories, builder)(**kwargs)
    assert p.status == status
    assert open_tasks(p) == tasks
    if builder == "closed":
        assert p.process.status == STATUS.DONE


def test_handling_modes_and_step_times(people, approval_dept, hrss_dept, member2):
    # lead + co: the co-handler sends its opinion before the lead's reply goes on
    with at(2019, 3, 1, 9):
        lead_co = factories.replied(lead=approval_dept, co_handlers=[hrss_dept], assign_at=(2019, 3, 11, 9), sign_at=(2019, 3, 12, 9))
    assert lead_co.handling_mode == "lead_co" and lead_co.assigned_at.date().isoformat() == "2019-03-11"
    co = lead_co.assignments.get(role=Assignment.Role.CO)
    assert co.status == Assignment.Status.OPINION_SENT and co.signed_at.date().isoformat() == "2019-03-12"
    # separate: one department at a time
    with at(2019, 3, 13, 9):
        p = factories.reply_submitted(proposer=member2, separate=[approval_dept, hrss_dept], departments=[approval_dept], title="分办")
    assert p.proposer == member2 and p.title == "分办"
    assert set(p.assignments.values_list("department__code", "status")) == {("approval", "reply_submitted"), ("hrss", "assigned")}
    with at(2019, 3, 14, 9):
        p = factories.replied(p)
    assert Reply.objects.filter(assignment__proposal=p, status=Reply.Status.PASSED).count() == 2


def test_a_joint_proposal_waits_for_its_cosigners_then_goes_on(people, member2):
    with at(2019, 3, 1, 9):
        p = factories.submitted(cosigners=[member2])
        assert p.status == Proposal.Status.COSIGNING and open_tasks(p) == ["cosign"]
        p = factories.accepted(p, number=28)
    assert p.number == 28 and p.cosigners.get().status == "confirmed"


def test_an_unknown_option_is_refused(people):
    p = factories.draft()
    with pytest.raises(TypeError):
        factories.submitted(p, title="a draft's field, for a new proposal only")
    with pytest.raises(TypeError):
        factories.assigned(p)  # assigned to whom?
