"""Two supervision sweeps at the same moment on PostgreSQL (two connections, the
same overdue tasks): one urging notice and one breach record per task, one event
each, one notification per person and kind (naming how many tasks it is about). Marked `postgres` (left out of the SQLite run)."""
import datetime as dt

import pytest
from django.db import connection

from proposals.models import ProposalTask
from tests.factories import TZ, at, race
from tests.proposals import factories as pf
from workflow.models import BreachRecord, CaseEvent, Notification, SupervisionState as S, UrgingNotice
from workflow.supervision import supervision_sweep

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]




def test_runs_on_postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("seconds_apart", [0, 1])
def test_two_sweeps_at_once_write_and_send_once(office_user, member, approval_dept, handler, dept_leader, supervisor, seconds_apart):
    # Given three proposals whose sign-for deadline (Thursday 5 March 2026) is long past
    with at(2026, 3, 2, 9):
        tasks = [ProposalTask.objects.get(proposal=pf.assigned(lead=approval_dept), status="NEW") for _ in range(3)]
    moment = dt.datetime(2026, 3, 13, 10, tzinfo=TZ)
    # When two sweeps run at the same time (the same "now", or a second apart)
    results = race(
        lambda: supervision_sweep(now=moment),
        lambda: supervision_sweep(now=moment + dt.timedelta(seconds=seconds_apart)),
    )
    assert [r[0] for r in results] == ["ok", "ok"], results
    # Then each task moved once, between them
    assert sum(r[1][S.SEVERELY_OVERDUE] for r in results) == 3
    assert set(ProposalTask.objects.filter(pk__in=[t.pk for t in tasks]).values_list("supervision_state", flat=True)) == {S.SEVERELY_OVERDUE}
    for task in tasks:
        assert UrgingNotice.objects.filter(task_id=task.pk).count() == 1
        assert BreachRecord.objects.filter(task_id=task.pk).count() == 1
        assert CaseEvent.objects.filter(case_id=task.proposal_id, type="supervision_urged").count() == 1
        assert CaseEvent.objects.filter(case_id=task.proposal_id, type="supervision_breach").count() == 1
    # one notification per person and kind, about the three tasks
    assert list(Notification.objects.filter(recipient=handler, kind="urging_notice").values_list("params__count", flat=True)) == [3]
    for person in (dept_leader, supervisor):
        assert list(Notification.objects.filter(recipient=person, kind="supervision_breach").values_list("params__count", flat=True)) == [3]
    # And a third sweep afterwards changes nothing
    before = (UrgingNotice.objects.count(), BreachRecord.objects.count(), CaseEvent.objects.count(), Notification.objects.count())
    assert set(supervision_sweep(now=moment + dt.timedelta(minutes=15)).values()) == {0}
    assert (UrgingNotice.objects.count(), BreachRecord.objects.count(), CaseEvent.objects.count(), Notification.objects.count()) == before
