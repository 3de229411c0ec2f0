"""The supervision sweep: tasks of a proposal and a complaint move through
warning → overdue → severely overdue, with reminders, the urging notice, the
breach record and notifications; twice changes and sends nothing more."""
import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django_celery_beat.models import PeriodicTask

from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintTask
from proposals.models import ProposalTask
from tests.complaints import factories as cf
from tests.factories import TZ, at
from tests.proposals import factories as pf
from workflow import tasks as workflow_tasks
from workflow.models import BreachRecord, CaseEvent, Notification, SupervisionState as S, UrgingNotice
from workflow.supervision import supervision_sweep

pytestmark = pytest.mark.django_db


def sweep(*args):
    return supervision_sweep(now=dt.datetime(*args, tzinfo=TZ))


def kinds(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def side_effects():
    return (Notification.objects.count(), UrgingNotice.objects.count(), BreachRecord.objects.count(), CaseEvent.objects.count())


@pytest.fixture
def proposal_sign(office_user, member, approval_dept, handler):
    """A proposal assigned on Monday 2 March 2026: the department signs for it by Thursday 5 March (3 WD, warn 1 WD)."""
    with at(2026, 3, 2, 9):
        proposal = pf.assigned(lead=approval_dept)
    task = ProposalTask.objects.get(proposal=proposal, status="NEW")
    assert task.deadline.astimezone(TZ).date() == dt.date(2026, 3, 5)
    return task


@pytest.fixture
def complaint_handle(dispatcher, handler, approval_dept):
    """A complaint received on 2 March 2026 and signed for: its handling is due on Monday 23 March."""
    with at(2026, 3, 2, 9):
        complaint = cf.handling(dispatcher, handler, approval_dept)
    task = ComplaintTask.objects.get(complaint=complaint, status="NEW")
    assert task.deadline.astimezone(TZ).date() == dt.date(2026, 3, 23)
    return task


def test_a_proposal_task_goes_from_warning_to_severely_overdue(proposal_sign, handler, dept_leader, supervisor, other_handler):
    task = proposal_sign
    sweep(2026, 3, 3, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.ON_TIME and kinds(handler) == []

    # Wednesday: the deadline is 1 WD away. The department's handlers owe the task (nobody took it yet).
    assert sweep(2026, 3, 4, 10)[S.WARNING] == 1
    task.refresh_from_db()
    assert task.supervision_state == S.WARNING
    assert task.state_changed_at == dt.datetime(2026, 3, 4, 10, tzinfo=TZ)
    assert kinds(handler) == ["supervision_warning"]
    assert kinds(other_handler) == [] and kinds(dept_leader) == []

    # Friday, the day after the deadline: an urging notice to sign for, and a notification.
    sweep(2026, 3, 6, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.OVERDUE
    notice = UrgingNotice.objects.get()
    assert (notice.task, notice.case, notice.department) == (task, task.proposal, task.department)
    assert notice.step == "签收" and notice.deadline == task.deadline and notice.signed_at is None
    assert kinds(handler) == ["supervision_warning", "urging_notice"]
    assert CaseEvent.objects.filter(type="supervision_urged", case_id=task.proposal_id).count() == 1

    # Still overdue on the 5th working day past the deadline; severely overdue once it ended.
    sweep(2026, 3, 12, 18)
    assert not BreachRecord.objects.exists()
    sweep(2026, 3, 13, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.SEVERELY_OVERDUE
    record = BreachRecord.objects.get()
    assert (record.department, record.case, record.step, record.working_days_late) == (task.department, task.proposal, "签收", 6)
    assert kinds(supervisor) == ["supervision_breach"] and kinds(dept_leader) == ["supervision_breach"]
    assert kinds(other_handler) == []
    assert UrgingNotice.objects.count() == 1


def test_a_complaint_task_goes_through_the_same_states(complaint_handle, handler, supervisor, dept_leader):
    task = complaint_handle
    sweep(2026, 3, 19, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.ON_TIME
    # Its deadline is the case's own (no deadline step): the default warn-before window, 1 WD.
    sweep(2026, 3, 20, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.WARNING and kinds(handler) == ["supervision_warning"]
    sweep(2026, 3, 24, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.OVERDUE
    assert UrgingNotice.objects.get().case == task.complaint
    # The complaints' "reprimand" rule: 5 WD past the deadline (24-27, 30 March).
    sweep(2026, 3, 30, 23)
    assert not BreachRecord.objects.exists()
    sweep(2026, 3, 31, 9)
    task.refresh_from_db()
    assert task.supervision_state == S.SEVERELY_OVERDUE
    assert BreachRecord.objects.get().working_days_late == 6
    assert "supervision_breach" in kinds(supervisor) and "supervision_breach" in kinds(dept_leader)


def test_running_twice_changes_and_sends_nothing_more(proposal_sign, complaint_handle):
    for moment in [(2026, 3, 4, 10), (2026, 3, 6, 10), (2026, 3, 13, 10), (2026, 3, 31, 9)]:
        sweep(*moment)
        before = side_effects()
        states = sorted(ProposalTask.objects.values_list("pk", "supervision_state", "state_changed_at"))
        assert set(sweep(*moment).values()) == {0}
        assert side_effects() == before
        assert sorted(ProposalTask.objects.values_list("pk", "supervision_state", "state_changed_at")) == states


def test_skipping_a_state_still_issues_the_urging_notice(proposal_sign, handler):
    """The sweep did not run for a week: the task enters severely overdue at once."""
    sweep(2026, 3, 16, 10)
    assert UrgingNotice.objects.count() == 1 and BreachRecord.objects.count() == 1
    assert kinds(handler) == ["urging_notice"]


def test_an_extension_brings_the_task_back(complaint_handle, handler, dispatcher):
    task = complaint_handle
    sweep(2026, 3, 20, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.WARNING
    with at(2026, 3, 20, 11):
        request = complaint_services.complaint_extension_request(
            actor=handler, complaint=task.complaint, requested_until=dt.date(2026, 4, 3), reason="需要现场核实",
        )
        complaint_services.complaint_extension_decide(actor=dispatcher, request=request, approve=True)
    sweep(2026, 3, 20, 12)
    task.refresh_from_db()
    assert task.supervision_state == S.ON_TIME
    # The new deadline is supervised in its turn.
    sweep(2026, 4, 6, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.OVERDUE and UrgingNotice.objects.count() == 1


def test_a_deadline_moved_after_the_urging_is_a_new_deadline(proposal_sign, handler):
    """Overdue, then the deadline is moved later (a calendar correction, an extension): the task
    goes back, and missing the new deadline brings a second urging notice, not a duplicate."""
    task = proposal_sign
    sweep(2026, 3, 6, 10)
    ProposalTask.objects.filter(pk=task.pk).update(deadline=dt.datetime(2026, 3, 10, 23, 59, 59, tzinfo=TZ))
    sweep(2026, 3, 6, 11)
    task.refresh_from_db()
    assert task.supervision_state == S.ON_TIME
    sweep(2026, 3, 9, 10)
    task.refresh_from_db()
    assert task.supervision_state == S.WARNING
    sweep(2026, 3, 11, 10)
    assert UrgingNotice.objects.count() == 2
    assert kinds(handler).count("urging_notice") == 2


def test_a_suspended_complaint_is_left_alone(complaint_handle, handler, dispatcher):
    task = complaint_handle
    with at(2026, 3, 19, 9):
        suspension = complaint_services.complaint_suspension_request(actor=handler, complaint=task.complaint, reason="等待第三方鉴定")
        complaint_services.complaint_suspension_decide(actor=dispatcher, suspension=suspension, approve=True)
    assert Complaint.objects.get(pk=task.complaint_id).suspended_since is not None
    sweep(2026, 3, 31, 9)
    task.refresh_from_db()
    assert task.supervision_state == S.ON_TIME
    assert not UrgingNotice.objects.exists() and not Notification.objects.filter(kind__startswith="supervision").exists()


def test_the_celery_task_and_its_default_schedule(proposal_sign):
    schedule = PeriodicTask.objects.get(task="workflow.supervision_sweep")
    assert schedule.crontab.minute == "*/15" and schedule.enabled
    result = workflow_tasks.supervision_sweep.delay(dt.datetime(2026, 3, 6, 10, tzinfo=TZ).isoformat()).get()
    assert result[S.OVERDUE] == 1
    assert UrgingNotice.objects.filter(task_type=ContentType.objects.get_for_model(ProposalTask), task_id=proposal_sign.pk).exists()


def test_the_warn_before_window_comes_from_the_steps_rule(proposal_sign, handler):
    from workflow.models import TimeLimitRule

    TimeLimitRule.objects.filter(case_kind="proposal", step="sign", category="").update(warn_before=2)
    sweep(2026, 3, 3, 10)
    proposal_sign.refresh_from_db()
    assert proposal_sign.supervision_state == S.WARNING


def test_the_severe_window_comes_from_the_case_kinds_rule(proposal_sign):
    from workflow.models import TimeLimitRule

    TimeLimitRule.objects.filter(case_kind="proposal", step="severe_overdue").update(amount=1)
    sweep(2026, 3, 6, 23)
    assert not BreachRecord.objects.exists()
    sweep(2026, 3, 9, 9)
    assert BreachRecord.objects.get().working_days_late == 2


def test_the_sweeps_queries_do_not_grow_with_the_tasks(office_user, member, approval_dept, handler):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(n_proposals, day):
        sweep(2026, 3, day + 4, 10)  # earlier tasks are where they belong at that moment
        with at(2026, 3, day, 9):
            for _ in range(n_proposals):
                pf.assigned(lead=approval_dept)
        with CaptureQueriesContext(connection) as ctx:
            counts = sweep(2026, 3, day + 4, 10)  # every new sign task enters overdue, nothing else moves
        assert counts[S.OVERDUE] == n_proposals and sum(counts.values()) == n_proposals
        return len(ctx.captured_queries)

    one = queries_for(1, 2)
    assert queries_for(4, 9) == one


def test_two_sweeps_at_once_write_and_send_once(proposal_sign, handler):
    """The second sweep read the task's state before the first one stored it: it moves
    the task again, but finds the notice, the record and the notifications written."""
    sweep(2026, 3, 13, 10)
    before = side_effects()
    ProposalTask.objects.filter(pk=proposal_sign.pk).update(supervision_state=S.ON_TIME)
    counts = supervision_sweep(now=dt.datetime(2026, 3, 13, 10, 0, 30, tzinfo=TZ))
    assert counts[S.SEVERELY_OVERDUE] == 1
    assert side_effects() == before
    assert CaseEvent.objects.filter(type__in=["supervision_urged", "supervision_breach"]).count() == 2


def test_an_office_task_reminds_the_roles_holders(office_user, member):
    """A task routed to an office role (no department): its holders get the reminder; no
    urging notice (no department signs for it), but the breach is recorded."""
    with at(2026, 3, 2, 9):
        proposal = pf.submitted(proposer=member)
    task = ProposalTask.objects.get(proposal=proposal, status="NEW")
    assert task.department_id is None and task.role == "proposal_office"
    day = task.deadline.astimezone(TZ).date()
    sweep(day.year, day.month, day.day, 9)
    # (the office was also told of the submission: proposal.submitted)
    assert [k for k in kinds(office_user) if not k.startswith("proposal.")] == ["supervision_warning"]
    sweep(day.year, day.month + 1, 1, 9)
    assert not UrgingNotice.objects.exists()
    assert BreachRecord.objects.get().department is None
    assert "urging_notice" in kinds(office_user)
