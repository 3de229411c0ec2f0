"""The sweep's set-wise writes (workflow.bulk_sql): what the INSERT ... SELECT statements
write equals what the services' Python would (keys, params, payloads, working days late),
on SQLite and PostgreSQL; the e-mails and texts of many notices to one person are one
message per kind; a calendar that did not change is not read again."""
import datetime as dt

import pytest
from django.core import mail
from django.db.models import F, Value
from django.utils import timezone

from proposals.models import ProposalTask
from tests.factories import TZ, at
from tests.proposals import factories as pf
from workflow import sms
from workflow.bulk_sql import insert_select
from workflow.models import BreachRecord, CalendarDay, CaseEvent, Notification, OutboundMessage, UrgingNotice
from workflow.supervision import supervision_sweep

pytestmark = pytest.mark.django_db


def sweep(*args):
    return supervision_sweep(now=dt.datetime(*args, tzinfo=TZ))


@pytest.fixture
def signs(office_user, member, approval_dept, handler):
    """Three proposals assigned on Monday 2 March 2026: sign-for due Thursday 5 March."""
    with at(2026, 3, 2, 9):
        proposals = [pf.assigned(lead=approval_dept) for _ in range(3)]
    return list(ProposalTask.objects.filter(proposal__in=proposals, status="NEW").order_by("pk"))


def test_insert_select_writes_the_columns_in_their_order(signs):
    now = dt.datetime(2026, 3, 6, 10, tzinfo=TZ)
    source = ProposalTask.objects.filter(pk__in=[t.pk for t in signs])
    written = insert_select(CaseEvent, source, {
        "case_type": Value(1), "case_id": F("proposal_id"), "type": Value("probe"), "from_state": Value("a"),
        "to_state": Value("b"), "payload": Value({}, output_field=CaseEvent._meta.get_field("payload")), "created_at": Value(now),
    })
    assert written == 3
    rows = list(CaseEvent.objects.filter(type="probe").order_by("case_id").values_list("case_type_id", "case_id", "from_state", "to_state", "created_at"))
    assert rows == [(1, t.proposal_id, "a", "b", now) for t in signs]


def test_the_rows_match_what_the_services_would_write(signs, handler, dept_leader, supervisor, approval_dept):
    task = signs[0]
    sweep(2026, 3, 6, 10)  # overdue since the end of the 5th
    notice = UrgingNotice.objects.get(task_id=task.pk)
    assert (notice.department_id, notice.step, notice.deadline, notice.case_id) == (approval_dept.pk, "签收", task.deadline, task.proposal_id)
    event = CaseEvent.objects.get(type="supervision_urged", case_id=task.proposal_id)
    assert event.payload == {"department": approval_dept.pk, "step": "签收", "deadline": "2026-03-05"}
    note = Notification.objects.get(recipient=handler, kind="urging_notice")  # one for the three tasks
    assert note.params["count"] == 3 and note.params["case_id"] == task.proposal_id
    assert note.title == "催办单：3项办理已逾期"
    assert str(task.proposal) in note.body and "2026-03-05" in note.body and note.url == "/supervision/urging/"
    # Severely overdue: five working days after the 5th ended (13 March), on 16 March six.
    sweep(2026, 3, 16, 10)
    record = BreachRecord.objects.get(task_id=task.pk)
    assert record.working_days_late == 7  # 6, 9, 10, 11, 12, 13, 16 March
    event = CaseEvent.objects.get(type="supervision_breach", case_id=task.proposal_id)
    assert event.payload["working_days_late"] == 7
    for person in (supervisor, dept_leader):
        breach = Notification.objects.get(recipient=person, kind="supervision_breach")
        assert breach.title == "严重逾期：3项" and "最长逾期7个工作日" in breach.body and approval_dept.name in breach.body
        assert breach.url == "/supervision/dashboard/"
    assert not Notification.objects.filter(recipient=handler, kind="supervision_breach").exists()


def test_many_tasks_of_one_person_are_one_notice_and_one_message_per_channel(signs, handler, django_capture_on_commit_callbacks):
    handler.email, handler.phone = "handler@example.org", "13800138000"
    handler.save()
    with django_capture_on_commit_callbacks(execute=True), at(2026, 3, 6, 10):
        sweep(2026, 3, 6, 10)
    assert Notification.objects.filter(recipient=handler, kind="urging_notice").count() == 1
    assert OutboundMessage.objects.filter(recipient=handler, kind="urging_notice").count() == 2  # e-mail and SMS
    assert [m.subject for m in mail.outbox if "催办单" in m.subject] == ["催办单：3项办理已逾期"]
    assert any("催办单：3项办理已逾期" in m.text for m in sms.outbox)
    # A second sweep sends nothing more.
    with django_capture_on_commit_callbacks(execute=True), at(2026, 3, 6, 10, 15):
        sweep(2026, 3, 6, 10, 15)
    assert OutboundMessage.objects.filter(recipient=handler).count() == 2


def test_one_task_is_named_in_its_notice(signs, handler, django_capture_on_commit_callbacks):
    handler.email = "handler@example.org"
    handler.save()
    ProposalTask.objects.filter(pk__in=[t.pk for t in signs[1:]]).update(deadline=dt.datetime(2026, 4, 30, 18, tzinfo=TZ))
    with django_capture_on_commit_callbacks(execute=True), at(2026, 3, 6, 10):
        sweep(2026, 3, 6, 10)
    assert [m.subject for m in mail.outbox] == ["催办单：签收已逾期"]
    assert str(signs[0].proposal) in mail.outbox[0].body
    note = Notification.objects.get(recipient=handler)
    assert note.params["count"] == 1 and note.url == "/supervision/urging/"


def test_several_warnings_link_to_the_inbox_filtered(signs, handler):
    sweep(2026, 3, 4, 10)  # due tomorrow, warn 1 WD before
    note = Notification.objects.get(recipient=handler, kind="supervision_warning")
    assert note.title == "即将到期：3项待办" and note.url == "/?state=warning"


def test_a_calendar_change_is_recomputed_until_it_is_old_enough(signs, settings):
    """A service that computed a deadline on the old calendar may commit after a sweep:
    sweeps recompute while the change is younger than the grace period."""
    from workflow.models import CalendarStamp

    settings.SUPERVISION_RECOMPUTE_GRACE_SECONDS = 600
    # The calendar changed moments ago (the test database's own stamp dates from the start
    # of the run: a slow run reached this test more than 10 minutes later, CI 2026-11-25).
    CalendarStamp.objects.update(changed_at=timezone.now())
    sweep(2026, 3, 3, 10)
    stamp = CalendarStamp.objects.get()
    assert stamp.recomputed_token != stamp.token  # changed moments ago: not done yet
    CalendarStamp.objects.update(changed_at=stamp.changed_at - dt.timedelta(minutes=11))
    sweep(2026, 3, 3, 10, 15)
    stamp = CalendarStamp.objects.get()
    assert stamp.recomputed_token == stamp.token


def test_an_unchanged_calendar_is_not_read_again(signs, django_assert_max_num_queries, settings):
    settings.SUPERVISION_RECOMPUTE_GRACE_SECONDS = 0  # the last change is long past
    sweep(2026, 3, 3, 10)  # the first sweep recomputes on this calendar version
    with django_assert_max_num_queries(25) as ctx:
        sweep(2026, 3, 3, 10, 15)
    assert not any("deadlinebasis" in q["sql"] for q in ctx.captured_queries)
    # An administrator's correction: the next sweep recomputes.
    day = CalendarDay.objects.get(date=dt.date(2026, 3, 4))
    day.is_working_day = False
    day.save()
    counts = sweep(2026, 3, 3, 10, 30)
    assert counts["recomputed"] >= 3
    assert {t.deadline.astimezone(TZ).date() for t in ProposalTask.objects.filter(pk__in=[t.pk for t in signs])} == {dt.date(2026, 3, 6)}


def test_tasks_urged_in_both_passes_are_one_notice(signs, handler):
    """One task goes straight to severely overdue, two enter overdue, in the same sweep:
    the person owing them gets one urging notice counting the three."""
    ProposalTask.objects.filter(pk=signs[0].pk).update(deadline=dt.datetime(2026, 2, 20, 18, tzinfo=TZ))
    sweep(2026, 3, 6, 10)
    assert UrgingNotice.objects.count() == 3 and BreachRecord.objects.count() == 1
    note = Notification.objects.get(recipient=handler, kind="urging_notice")
    assert note.params["count"] == 3


def test_a_person_holding_the_role_twice_counts_each_task_once(signs, supervisor, dept_leader, hrss_dept):
    from workflow.models import Membership

    Membership.objects.create(user=supervisor, department=hrss_dept, role="supervisor")
    ProposalTask.objects.filter(pk__in=[t.pk for t in signs[1:]]).update(deadline=dt.datetime(2026, 4, 30, 18, tzinfo=TZ))
    sweep(2026, 3, 16, 10)  # the first task is severely overdue
    note = Notification.objects.get(recipient=supervisor, kind="supervision_breach")
    assert note.params["count"] == 1 and note.title == "严重逾期：签收"


def test_every_open_tasks_node_is_one_the_sweep_knows(signs, dispatcher, approval_dept, handler):
    """The sweep groups nodes by warning window from the flow definitions (no query): every
    node an open task can be at must be among them, or its task would get the default window."""
    from tests.complaints import factories as cf
    from workflow import registry
    from workflow.flow.runtime import task_model_nodes

    with at(2026, 3, 2, 9):
        cf.handling(dispatcher, handler, approval_dept)
        cf.dispatched(dispatcher, approval_dept)
    for spec in registry.supervision_specs():
        known = set(task_model_nodes(spec.task_model))
        seen = set(spec.task_model.objects.filter(is_open=True).values_list("flow_task", flat=True))
        assert seen and seen <= known, (spec.task_model, seen - known)
