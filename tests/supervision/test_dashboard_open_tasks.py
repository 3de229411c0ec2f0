"""The dashboard's open tasks by state (workflow.dashboard.open_task_states): exactly the
states the inbox's chips give each open task now (per node, suspended complaints left out),
read from the open tasks' covering index without reading a task row (SQLite's plan)."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint, ComplaintTask
from tests.complaints import factories as cf
from tests.factories import at
from workflow import dashboard
from workflow.inbox import StateRanges

pytestmark = pytest.mark.django_db


def _query(user, now):
    return dashboard.DashboardQuery(user=user, start=now - dt.timedelta(days=31), end=now, granularity="day", departments=None, now=now)


def _expected(now) -> dict:
    """Per (department, state): the open tasks' states decided one by one, as the chips do."""
    ranges = StateRanges(now)
    result: dict = {}
    for task in ComplaintTask.objects.filter(is_open=True, department__isnull=False).select_related("complaint"):
        if task.complaint.suspended_since is not None:
            continue
        _key, thresholds = ranges._for(task.flow_task)
        key = (task.department_id, thresholds.state(task.deadline))
        result[key] = result.get(key, 0) + 1
    return result


@pytest.fixture
def open_tasks(dispatcher, approval_dept, handler, hrss_dept, other_handler):
    """Open complaint tasks at several steps, due at several distances, one complaint suspended."""
    made = []
    for day in (2, 5, 9, 12, 16, 18):
        with at(2026, 3, day, 9):
            made.append(cf.dispatched(dispatcher, approval_dept if day % 2 else hrss_dept))
            made.append(cf.handling(dispatcher, handler, approval_dept))
            made.append(cf.replied(dispatcher, other_handler, hrss_dept))
    Complaint.objects.filter(pk=made[4].pk).update(suspended_since=dt.datetime(2026, 3, 10, 9, tzinfo=dt.timezone.utc))
    return made


@pytest.mark.parametrize("moment", [(2026, 3, 3, 9), (2026, 3, 13, 15), (2026, 3, 19, 17), (2026, 3, 20, 9), (2026, 4, 20, 9)])
def test_open_task_states_equal_the_chips(supervisor, open_tasks, moment):
    # given open tasks due before, inside and after the warning windows, one complaint suspended
    with at(*moment):
        from django.utils import timezone

        now = timezone.now()
        # when the complaint provider counts them
        from complaints.metrics import compute

        figures = compute(_query(supervisor, now))
        expected = _expected(now)
    # then every (department, state) count is what the chips decide task by task
    got = {(dept, state): n for dept, state, n in figures.open_states}
    assert got == expected
    assert sum(expected.values()) > 0


def test_suspended_complaints_tasks_are_left_out(supervisor, open_tasks):
    # given one complaint suspended
    with at(2026, 3, 20, 9):
        from django.utils import timezone

        from complaints.metrics import compute

        before = sum(n for _d, _s, n in compute(_query(supervisor, timezone.now())).open_states)
        Complaint.objects.filter(pk=open_tasks[7].pk).update(suspended_since=timezone.now())
        after = sum(n for _d, _s, n in compute(_query(supervisor, timezone.now())).open_states)
    # then its open tasks leave the counts
    assert before - after == ComplaintTask.objects.filter(complaint=open_tasks[7], is_open=True).count() > 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_open_task_count_reads_the_covering_index_only(supervisor, open_tasks):
    # given open tasks; when the dashboard counts them by state
    with at(2026, 3, 20, 9):
        from django.utils import timezone

        from complaints.metrics import compute

        with CaptureQueriesContext(connection) as ctx:
            compute(_query(supervisor, timezone.now()))
    sql = next(q["sql"] for q in ctx.captured_queries if "'severely_overdue'" in q["sql"] and "complainttask" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = [row[3] for row in cursor.fetchall()]
    # then the open tasks are scanned on the covering partial index, no task row read (only the
    # suspended complaints' tasks are searched by complaint, and the node is looked up by key
    # in the correlated lookups of the warning window); nothing else is scanned
    assert "SCAN complaints_complainttask USING COVERING INDEX complainttask_open_case_idx" in plan, plan
    assert [p for p in plan if p.startswith("SCAN")] == ["SCAN complaints_complainttask USING COVERING INDEX complainttask_open_case_idx"], plan
    assert "SEARCH U0 USING COVERING INDEX complaint_suspended_idx (suspended_since>?)" in plan, plan
