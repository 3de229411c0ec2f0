"""An administrator corrects the calendar: the deadlines of open tasks computed in
working days from a start date move with it, and the sweep re-evaluates their state
in the same run; a deadline set by hand (an approved extension) stays."""
import datetime as dt

import pytest

from complaints import services as complaint_services
from complaints.models import ComplaintTask
from proposals.models import ProposalTask
from tests.complaints import factories as cf
from tests.factories import TZ, at
from tests.proposals import factories as pf
from workflow import services as engine
from workflow.models import CalendarDay, CaseEvent, SupervisionState as S, UrgingNotice
from workflow.supervision import supervision_sweep

pytestmark = pytest.mark.django_db


def sweep(*args):
    return supervision_sweep(now=dt.datetime(*args, tzinfo=TZ))


def local_day(value):
    return value.astimezone(TZ).date()


@pytest.fixture
def proposal_sign(office_user, member, approval_dept, handler):
    """Assigned on Monday 2 March 2026: to be signed for within 3 WD, by Thursday 5 March."""
    with at(2026, 3, 2, 9):
        proposal = pf.assigned(lead=approval_dept)
    task = ProposalTask.objects.get(proposal=proposal, status="NEW")
    assert local_day(task.deadline) == dt.date(2026, 3, 5)
    assert (task.deadline_from, task.deadline_amount, task.deadline_unit) == (dt.date(2026, 3, 2), 3, "wd")
    assert task.deadline_computed == task.deadline
    return task


def import_with_holiday(day: dt.date, admin=None):
    rows = [
        engine.CalendarRow(date=d, is_working_day=(w and d != day), note=("临时调休" if d == day else n))
        for d, w, n in CalendarDay.objects.filter(date__year=day.year).order_by("date").values_list("date", "is_working_day", "note")
    ]
    engine.calendar_import_rows(actor=admin, rows=rows, note="更正")


def test_an_imported_holiday_moves_the_deadline_and_the_same_sweep_sees_it(proposal_sign, handler, django_capture_on_commit_callbacks):
    task = proposal_sign
    # Given the sweep saw the task in warning on Wednesday 4 March
    sweep(2026, 3, 4, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.WARNING
    # When the administrator imports the year again with Wednesday 4 March a holiday
    with django_capture_on_commit_callbacks(execute=True):
        import_with_holiday(dt.date(2026, 3, 4))
    # Then the deadline is one working day later, Friday 6 March, with an event for the case
    task.refresh_from_db()
    assert local_day(task.deadline) == dt.date(2026, 3, 6) and task.deadline_computed == task.deadline
    event = CaseEvent.objects.get(type="deadline_recomputed", payload__step=task.step_title)
    assert event.case_id == task.proposal_id and event.payload["from"] == "2026-03-05" and event.payload["to"] == "2026-03-06"
    # and on Friday the sweep finds it due today (warning), not overdue: no urging notice
    sweep(2026, 3, 6, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.WARNING and not UrgingNotice.objects.exists()


def test_a_day_changed_in_the_admin_is_recomputed_by_the_sweep_itself(proposal_sign, handler):
    task = proposal_sign
    sweep(2026, 3, 4, 10)
    # When a day is saved through the admin (one CalendarDay, no import service)
    day = CalendarDay.objects.get(date=dt.date(2026, 3, 3))
    day.is_working_day, day.note = False, "临时调休"
    day.save()
    # Then the same sweep moves the deadline (to Friday 6 March) and re-evaluates the state:
    # on Friday morning it is due today, not overdue since Thursday night
    counts = sweep(2026, 3, 6, 10)
    task.refresh_from_db()
    # (the task, and the assignment's re-assignment window of 5 WD: workflow.deadlines;
    # its reply deadline of 3 months counts calendar days and stays)
    assert counts["recomputed"] == 2
    assert local_day(task.deadline) == dt.date(2026, 3, 6) and task.supervision_state == S.WARNING
    assert not UrgingNotice.objects.exists()
    # A second sweep moves nothing more
    assert sweep(2026, 3, 6, 10)["recomputed"] == 0
    assert CaseEvent.objects.filter(type="deadline_recomputed", payload__step=task.step_title).count() == 1
    assert CaseEvent.objects.filter(type="deadline_recomputed").count() == 2


def test_a_change_after_the_deadline_moves_nothing(proposal_sign):
    task = proposal_sign
    # Saturday 7 March declared a working day does not move a deadline of Thursday 5 March
    day = CalendarDay.objects.get(date=dt.date(2026, 3, 7))
    day.is_working_day = True
    day.save()
    sweep(2026, 3, 3, 10)
    task.refresh_from_db()
    assert local_day(task.deadline) == dt.date(2026, 3, 5)


def test_a_deadline_set_by_hand_is_not_moved(proposal_sign, dispatcher, handler, approval_dept):
    # Given a task whose deadline was set to a date (not computed from its basis)...
    task = proposal_sign
    by_hand = dt.datetime(2026, 3, 12, 23, 59, 59, tzinfo=TZ)
    ProposalTask.objects.filter(pk=task.pk).update(deadline=by_hand)
    # ...and a complaint whose extension was approved to Friday 3 April
    with at(2026, 3, 2, 9):
        complaint = cf.handling(dispatcher, handler, approval_dept)
    with at(2026, 3, 19, 9):
        request = complaint_services.complaint_extension_request(
            actor=handler, complaint=complaint, requested_until=dt.date(2026, 4, 3), reason="需要现场核实",
        )
        complaint_services.complaint_extension_decide(actor=dispatcher, request=request, approve=True)
    ctask = ComplaintTask.objects.get(complaint=complaint, status="NEW")
    # When days before both are declared holidays
    for d in (dt.date(2026, 3, 4), dt.date(2026, 4, 1)):
        day = CalendarDay.objects.get(date=d)
        day.is_working_day = False
        day.save()
    # (only the proposal's re-assignment window moves, computed and still open: workflow.deadlines)
    assert sweep(2026, 3, 10, 10)["recomputed"] == 1
    # Then both dates stand
    task.refresh_from_db()
    ctask.refresh_from_db()
    assert task.deadline == by_hand
    assert local_day(ctask.deadline) == dt.date(2026, 4, 3)
    assert not CaseEvent.objects.filter(type="deadline_recomputed", payload__step=task.step_title).exists()
    assert not CaseEvent.objects.filter(type="deadline_recomputed", case_id=complaint.pk, case_type__model="complaint").exists()
