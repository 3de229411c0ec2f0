"""A pending extension request holds back the urging notice and the breach record
(a warning may still go out); refused, the original deadline applies at the next
sweep; approved, the new deadline does."""
import datetime as dt

import pytest

from complaints import services as complaint_services
from complaints.models import ComplaintTask
from proposals import services as proposal_services
from proposals.models import ProposalTask
from tests.complaints import factories as cf
from tests.factories import TZ, at
from tests.proposals import factories as pf
from workflow.models import BreachRecord, Notification, SupervisionState as S, UrgingNotice
from workflow.supervision import supervision_sweep

pytestmark = pytest.mark.django_db


def sweep(*args):
    return supervision_sweep(now=dt.datetime(*args, tzinfo=TZ))


def state(task):
    task.refresh_from_db()
    return task.supervision_state


def urgings(user):
    return Notification.objects.filter(recipient=user, kind="urging_notice").count()


@pytest.fixture
def complaint_handle(dispatcher, handler, approval_dept):
    """A complaint signed for on 2 March 2026: its handling is due on Monday 23 March."""
    with at(2026, 3, 2, 9):
        complaint = cf.handling(dispatcher, handler, approval_dept)
    task = ComplaintTask.objects.get(complaint=complaint, status="NEW")
    assert task.deadline.astimezone(TZ).date() == dt.date(2026, 3, 23)
    return task


def ask_complaint_extension(task, handler, until=dt.date(2026, 4, 3)):
    with at(2026, 3, 19, 9):  # at least 1 WD before the deadline (RULES.md)
        return complaint_services.complaint_extension_request(
            actor=handler, complaint=task.complaint, requested_until=until, reason="需要现场核实",
        )


def test_a_pending_complaint_extension_holds_back_the_urging_notice_until_refused(complaint_handle, handler, dispatcher):
    # Given a complaint whose department asked in time for more time
    task = complaint_handle
    request = ask_complaint_extension(task, handler)
    # When the sweep runs the day before the deadline: the warning still goes out
    sweep(2026, 3, 20, 10)
    assert state(task) == S.WARNING
    # Then past the deadline, and even past the severe window, while the request waits: no notice, no record
    sweep(2026, 3, 24, 10)
    sweep(2026, 3, 31, 10)
    assert state(task) == S.WARNING
    assert not UrgingNotice.objects.exists() and not BreachRecord.objects.exists() and urgings(handler) == 0
    # When the dispatcher refuses: the original deadline applies at the next sweep
    with at(2026, 3, 31, 11):
        complaint_services.complaint_extension_decide(actor=dispatcher, request=request, approve=False, note="不符合延期条件")
    sweep(2026, 3, 31, 12)
    assert state(task) == S.SEVERELY_OVERDUE
    assert UrgingNotice.objects.get().task == task and BreachRecord.objects.get().working_days_late == 6
    assert urgings(handler) == 1


def test_an_approved_complaint_extension_applies_its_new_deadline(complaint_handle, handler, dispatcher):
    task = complaint_handle
    request = ask_complaint_extension(task, handler)
    sweep(2026, 3, 24, 10)
    assert state(task) == S.ON_TIME and not UrgingNotice.objects.exists()
    # When approved until Friday 3 April (after the old deadline has passed)
    with at(2026, 3, 24, 11):
        complaint_services.complaint_extension_decide(actor=dispatcher, request=request, approve=True)
    # Then the next sweep puts it on time, a warning the day before the new deadline
    sweep(2026, 3, 24, 12)
    assert state(task) == S.ON_TIME
    sweep(2026, 4, 2, 10)
    assert state(task) == S.WARNING
    assert not UrgingNotice.objects.exists()
    # and missing the new deadline is urged as usual
    sweep(2026, 4, 6, 10)
    assert state(task) == S.OVERDUE and UrgingNotice.objects.get().deadline.astimezone(TZ).date() == dt.date(2026, 4, 3)


@pytest.fixture
def proposal_reply(office_user, member, approval_dept, handler):
    """A proposal assigned and signed on 2 March 2026: its department's reply task, due on the assignment's deadline."""
    with at(2026, 3, 2, 9):
        proposal = pf.signed(lead=approval_dept)
    task = ProposalTask.objects.get(proposal=proposal, status="NEW")
    assert task.deadline == proposal.assignments.get().deadline
    return task


def after(deadline, days):
    day = deadline.astimezone(TZ) + dt.timedelta(days=days)
    return (day.year, day.month, day.day, 10)


def test_a_pending_proposal_extension_holds_back_the_urging_notice_until_refused(proposal_reply, handler, office_user):
    task = proposal_reply
    assignment = task.proposal.assignments.get()
    # Given the department explained in advance and asked for a later date
    with at(*after(task.deadline, -10)):
        request = proposal_services.extension_request(
            actor=handler, assignment=assignment, requested_until=(task.deadline + dt.timedelta(days=30)).date(), reason="需跨部门协调",
        )
    # When the deadline passes while the request waits: no urging notice, no breach record
    sweep(*after(task.deadline, 1))
    sweep(*after(task.deadline, 14))
    assert state(task) != S.OVERDUE and state(task) != S.SEVERELY_OVERDUE
    assert not UrgingNotice.objects.exists() and not BreachRecord.objects.exists()
    # When the office refuses: the next sweep urges on the original deadline
    with at(*after(task.deadline, 14)):
        proposal_services.extension_decide(actor=office_user, request=request, approve=False, note="理由不充分")
    sweep(*after(task.deadline, 15))
    assert state(task) == S.SEVERELY_OVERDUE
    assert UrgingNotice.objects.get().deadline == task.deadline and BreachRecord.objects.count() == 1
    assert urgings(handler) == 1


def test_an_approved_proposal_extension_applies_its_new_deadline(proposal_reply, handler, office_user):
    task = proposal_reply
    assignment = task.proposal.assignments.get()
    old = task.deadline
    until = (old + dt.timedelta(days=30)).astimezone(TZ).date()
    with at(*after(old, -10)):
        request = proposal_services.extension_request(actor=handler, assignment=assignment, requested_until=until, reason="需跨部门协调")
    sweep(*after(old, 1))
    assert not UrgingNotice.objects.exists()
    with at(*after(old, 2)):
        proposal_services.extension_decide(actor=office_user, request=request, approve=True)
    # Then the new deadline applies: on time now, a warning just before it, no notice
    sweep(*after(old, 2))
    assert state(task) == S.ON_TIME
    task.refresh_from_db()
    assert task.deadline.astimezone(TZ).date() == until
    sweep(until.year, until.month, until.day, 9)
    assert state(task) == S.WARNING and not UrgingNotice.objects.exists()


def test_the_pending_hook_costs_no_query_per_task(complaint_handle, handler, django_assert_max_num_queries):
    ask_complaint_extension(complaint_handle, handler)
    # A fixed number: per task model and state one UPDATE and one INSERT ... SELECT per side
    # effect; this first sweep also checks the calendar's deadlines (13 of them).
    with django_assert_max_num_queries(40):
        sweep(2026, 3, 24, 10)
