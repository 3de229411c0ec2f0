"""Deadlines kept on case objects (a complaint's handling deadline, a dispatch's
sign-for deadline, a proposal assignment's reply deadline) follow a calendar
correction like the tasks' own (workflow.deadlines): recomputed from what they
were computed from while their step is pending, with the tasks that copied
them, an event in the case's timeline, and nothing twice."""
import datetime as dt

import pytest

from complaints.models import Complaint, ComplaintTask, Dispatch
from proposals.models import Assignment, Proposal, ProposalTask
from tests.complaints import factories as cf
from tests.factories import TZ, at
from tests.proposals import factories as pf
from workflow.models import CalendarDay, CaseEvent, DeadlineBasis
from workflow.supervision import supervision_sweep
from workflow.workdays import ComputedDeadline, compute_deadline

pytestmark = pytest.mark.django_db


def sweep(*args):
    return supervision_sweep(now=dt.datetime(*args, tzinfo=TZ))


def local_day(value):
    return value.astimezone(TZ).date()


def holiday(*days: dt.date) -> None:
    for d in days:
        day = CalendarDay.objects.get(date=d)
        day.is_working_day, day.note = False, "临时调休"
        day.save()


def test_a_computed_deadline_carries_its_basis_and_stays_a_datetime():
    value = compute_deadline(dt.datetime(2026, 3, 2, 9, tzinfo=TZ), 15, "wd")
    assert isinstance(value, ComputedDeadline) and value.basis == (dt.date(2026, 3, 2), 15, "wd")
    assert value == dt.datetime(2026, 3, 23, 23, 59, 59, tzinfo=TZ)
    # hours do not depend on the calendar: no basis
    assert getattr(compute_deadline(dt.datetime(2026, 3, 2, 9, tzinfo=TZ), 2, "hours"), "basis", None) is None
    # arithmetic gives a plain value (not computed any more)
    assert getattr(value + dt.timedelta(days=1), "basis", None) is None


@pytest.fixture
def complaint(dispatcher, approval_dept):
    """Dispatched on Monday 2 March 2026: sign for by Tuesday 3 (1 WD), return by
    Wednesday 4 (2 WD), reply by Monday 23 March (15 WD)."""
    with at(2026, 3, 2, 9):
        complaint = cf.dispatched(dispatcher, approval_dept)
    dispatch = complaint.dispatches.get()
    assert local_day(dispatch.sign_due) == dt.date(2026, 3, 3) and local_day(complaint.deadline) == dt.date(2026, 3, 23)
    assert DeadlineBasis.objects.filter(object_id=complaint.pk, field="deadline", start=dt.date(2026, 3, 2), amount=15).exists()
    assert DeadlineBasis.objects.filter(object_id=dispatch.pk, field__in=["sign_due", "return_due"]).count() == 2
    return complaint


def test_a_holiday_moves_a_pending_sign_for_deadline_and_its_task(complaint):
    sign_task = ComplaintTask.objects.get(complaint=complaint, status="NEW")
    assert sign_task.deadline == complaint.dispatches.get().sign_due
    # When Tuesday 3 March becomes a holiday
    holiday(dt.date(2026, 3, 3))
    counts = sweep(2026, 3, 3, 10)
    # Then the dispatch is due on Wednesday 4 (return by Thursday 5), the handling deadline a day later too,
    # and the sign-for task with it; on Tuesday it is in warning (due tomorrow), not overdue
    dispatch = Dispatch.objects.get(complaint=complaint)
    complaint.refresh_from_db()
    sign_task.refresh_from_db()
    assert local_day(dispatch.sign_due) == dt.date(2026, 3, 4) and local_day(dispatch.return_due) == dt.date(2026, 3, 5)
    assert local_day(complaint.deadline) == dt.date(2026, 3, 24)
    assert sign_task.deadline == dispatch.sign_due and sign_task.supervision_state == "warning"
    assert counts["recomputed"] == 3
    steps = set(CaseEvent.objects.filter(type="deadline_recomputed", case_id=complaint.pk).values_list("payload__step", flat=True))
    assert steps == {"签收期限", "退单期限", "办理期限"}
    # A second sweep moves nothing and writes no event
    assert sweep(2026, 3, 3, 11)["recomputed"] == 0
    assert CaseEvent.objects.filter(type="deadline_recomputed", case_id=complaint.pk).count() == 3


def test_the_handling_deadline_and_the_handling_task_follow(complaint, handler):
    from complaints import services

    with at(2026, 3, 2, 15):
        services.dispatch_sign(actor=handler, dispatch=complaint.dispatches.get())
    handle = ComplaintTask.objects.get(complaint=complaint, status="NEW")
    assert local_day(handle.deadline) == dt.date(2026, 3, 23)
    # When Wednesday 11 March becomes a holiday
    holiday(dt.date(2026, 3, 11))
    sweep(2026, 3, 9, 10)
    complaint.refresh_from_db()
    handle.refresh_from_db()
    # Then reply by Tuesday 24 March, on the case and on the task; the signed dispatch's date is history
    assert local_day(complaint.deadline) == dt.date(2026, 3, 24) and handle.deadline == complaint.deadline
    assert local_day(Dispatch.objects.get(complaint=complaint).sign_due) == dt.date(2026, 3, 3)
    event = CaseEvent.objects.get(type="deadline_recomputed", case_id=complaint.pk)
    assert (event.payload["from"], event.payload["to"]) == ("2026-03-23", "2026-03-24")


def test_an_extended_deadline_is_set_by_hand_and_stays(complaint, handler, dispatcher):
    from complaints import services

    with at(2026, 3, 2, 15):
        services.dispatch_sign(actor=handler, dispatch=complaint.dispatches.get())
    with at(2026, 3, 19, 9):
        request = services.complaint_extension_request(
            actor=handler, complaint=Complaint.objects.get(pk=complaint.pk), requested_until=dt.date(2026, 4, 3), reason="需要现场核实",
        )
        services.complaint_extension_decide(actor=dispatcher, request=request, approve=True)
    holiday(dt.date(2026, 3, 20))
    sweep(2026, 3, 19, 10)
    complaint.refresh_from_db()
    assert local_day(complaint.deadline) == dt.date(2026, 4, 3)
    assert not CaseEvent.objects.filter(type="deadline_recomputed", case_id=complaint.pk).exists()


def test_a_proposal_reply_deadline_follows_with_its_tasks(member, office_user, approval_dept, handler):
    # Assigned on Monday 2 March 2026 and signed for: reply within 3 months, by Tuesday 2 June
    with at(2026, 3, 2, 9):
        proposal = pf.signed(lead=approval_dept)
    assignment = Assignment.objects.get(proposal=proposal)
    reply_task = ProposalTask.objects.get(proposal=proposal, status="NEW")
    assert local_day(assignment.deadline) == dt.date(2026, 6, 2) and reply_task.deadline == assignment.deadline
    # When Tuesday 2 June becomes a holiday
    holiday(dt.date(2026, 6, 2))
    sweep(2026, 3, 10, 10)
    assignment.refresh_from_db()
    reply_task.refresh_from_db()
    # Then the reply is due the next working day, on the assignment, its task and the proposal
    assert local_day(assignment.deadline) == dt.date(2026, 6, 3)
    assert reply_task.deadline == assignment.deadline
    assert Proposal.objects.get(pk=proposal.pk).reply_deadline == assignment.deadline
    assert CaseEvent.objects.filter(type="deadline_recomputed", case_id=proposal.pk, payload__step="办理期限").count() == 1


def test_a_missing_calendar_year_is_never_guessed(complaint):
    from workflow.models import CalendarYear

    # Given a basis whose recomputation needs a year the calendar no longer has
    DeadlineBasis.objects.filter(object_id=complaint.pk, field="deadline").update(start=dt.date(2027, 12, 20))
    Complaint.objects.filter(pk=complaint.pk).update(deadline=DeadlineBasis.objects.get(object_id=complaint.pk, field="deadline").computed)
    assert not CalendarYear.objects.filter(year=2028).exists()
    # When the sweep runs, it leaves that deadline as it was
    before = Complaint.objects.get(pk=complaint.pk).deadline
    sweep(2026, 3, 2, 12)
    assert Complaint.objects.get(pk=complaint.pk).deadline == before


def test_the_recompute_keeps_the_history_of_what_it_moved(complaint, member, office_user, approval_dept, handler):
    """QuerySet.update() records no history: the recompute writes it set-wise (DESIGN 4.9)."""
    with at(2026, 3, 2, 9):
        proposal = pf.signed(lead=approval_dept)
    dispatch = complaint.dispatches.get()
    before = dispatch.history.count(), complaint.history.count(), proposal.history.count()
    holiday(dt.date(2026, 3, 3), dt.date(2026, 6, 2))
    sweep(2026, 3, 3, 10)
    dispatch.refresh_from_db()
    complaint.refresh_from_db()
    # One row per object and field moved (the dispatch: sign-for and return), as it is now, by the system
    last = dispatch.history.first()
    assert dispatch.history.count() == before[0] + 2 and last.sign_due == dispatch.sign_due and last.return_due == dispatch.return_due
    assert last.history_type == "~" and last.history_user_id is None and "工作日历" in last.history_change_reason
    assert last.complaint_id == complaint.pk and last.department_id == dispatch.department_id and last.status == dispatch.status
    assert complaint.history.count() == before[1] + 1 and complaint.history.first().deadline == complaint.deadline
    assert complaint.history.first().number == complaint.number
    assert proposal.history.count() == before[2] + 1
    assert proposal.history.first().reply_deadline == Proposal.objects.get(pk=proposal.pk).reply_deadline
