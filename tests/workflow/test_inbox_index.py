"""The inbox reads the open tasks through the case task's `is_open` flag and its
partial index (issue 11): the flag follows the status whoever saves the task,
the rows and counts are those of the scope over viewflow's open tasks, and the
queries' plans search `proposaltask_open_idx` (SQLite and PostgreSQL) instead
of walking every open task of every flow."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from proposals.flows import ProposalFlow
from proposals.models import ProposalTask
from tests.factories import at
from tests.proposals import factories
from workflow import inbox
from workflow.models import SupervisionState
from workflow.selectors import task_scope_q

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("member", "office_user", "dept_leader")]
OPEN = [STATUS.NEW, STATUS.ASSIGNED]


def _open_flags_match_status() -> bool:
    flags = dict(ProposalTask.objects.values_list("pk", "is_open"))
    statuses = dict(ProposalTask.objects.values_list("pk", "status"))
    return all(flags[pk] == (statuses[pk] in OPEN) for pk in flags)


def _cases(approval_dept, hrss_dept):
    """Open tasks for the approval department's handler, another department, the office and a member."""
    with at(2026, 3, 2, 9):
        for _ in range(3):
            factories.assigned(lead=approval_dept)
        factories.assigned(lead=hrss_dept)
        factories.submitted()
    with at(2026, 3, 9, 9):
        factories.assigned(lead=approval_dept)
        factories.signed(lead=approval_dept)


def _names(cols) -> str:
    return ", ".join(f'"{col}"' for col in cols)


def _clone(times: int, open_every: int) -> None:
    """Copies of every proposal task (viewflow's row and the case task row), `times`
    over: the copies stay open every `open_every`-th time, else are closed (DONE),
    as a case's history is. A few thousand rows, set-wise."""
    task_cols = [f.column for f in Task._meta.local_concrete_fields]
    case_cols = [f.column for f in ProposalTask._meta.local_concrete_fields]
    with connection.cursor() as c:
        c.execute("SELECT MAX(id) FROM viewflow_task")
        stride = c.fetchone()[0]
        for k in range(1, times + 1):
            keep = k % open_every == 0
            exprs = [
                f"t.id + {k * stride}" if col == "id" else ("t.status" if keep else "'DONE'") if col == "status" else f't."{col}"'
                for col in task_cols
            ]
            c.execute(
                f"INSERT INTO viewflow_task ({_names(task_cols)}) "
                f"SELECT {', '.join(exprs)} FROM viewflow_task t "
                f"WHERE t.id IN (SELECT task_ptr_id FROM proposals_proposaltask) AND t.id <= {stride}"
            )
            exprs = [
                f"t.task_ptr_id + {k * stride}" if col == "task_ptr_id"
                else ("t.is_open" if keep else "FALSE") if col == "is_open" else f't."{col}"'
                for col in case_cols
            ]
            c.execute(
                f"INSERT INTO proposals_proposaltask ({_names(case_cols)}) "
                f"SELECT {', '.join(exprs)} FROM proposals_proposaltask t WHERE t.task_ptr_id <= {stride}"
            )
        c.execute("ANALYZE")


def _old_scope(user):
    """The inbox's rows as they were read before the flag: viewflow's open tasks, then the scope."""
    from viewflow.workflow.models import Task

    return ProposalTask.objects.filter(pk__in=Task.objects.filter(status__in=OPEN).values("pk")).filter(task_scope_q(user=user))


def test_the_flag_follows_the_status_through_the_flow(handler, approval_dept, hrss_dept):
    # Given cases at several steps (tasks created, taken, completed by the services)
    _cases(approval_dept, hrss_dept)
    # Then every case task's flag says whether its status is new or assigned
    assert ProposalTask.objects.filter(is_open=True).count() == ProposalTask.objects.filter(status__in=OPEN).count() > 0
    assert _open_flags_match_status()
    # When viewflow saves a task as its own Task class (as it does when it cancels a process's tasks)
    task = ProposalTask.objects.filter(is_open=True).first()
    base = Task.objects.get(pk=task.pk)
    base.status = STATUS.CANCELED
    base.save()
    # Then the case task row follows
    task.refresh_from_db()
    assert task.is_open is False
    # And a save naming other fields leaves the flag alone; one naming the status moves it
    task.status = STATUS.NEW
    task.save(update_fields=["deadline"])
    assert ProposalTask.objects.get(pk=task.pk).is_open is False
    task.save(update_fields=["status"])
    assert ProposalTask.objects.get(pk=task.pk).is_open is True


def test_the_data_migration_fills_the_flag_from_the_status(handler, approval_dept, hrss_dept):
    import importlib

    from django.apps import apps

    _cases(approval_dept, hrss_dept)
    ProposalTask.objects.update(is_open=False)
    importlib.import_module("proposals.migrations.0007_task_is_open").fill_is_open(apps, None)
    assert _open_flags_match_status()
    assert ProposalTask.objects.filter(is_open=True).exists()


def test_the_same_rows_order_and_counts_as_the_scope_over_viewflow_open_tasks(
    handler, other_handler, office_user, member, dept_leader, approval_dept, hrss_dept
):
    # Given a few thousand case tasks, most of them closed
    _cases(approval_dept, hrss_dept)
    _clone(times=60, open_every=6)
    assert ProposalTask.objects.count() > 2000
    now = dt.datetime(2026, 3, 20, 10, tzinfo=dt.timezone.utc)
    states = inbox.StateRanges(now)
    for user in (handler, other_handler, office_user, member, dept_leader):
        # When the inbox and its counts are read
        found = inbox.inbox(user=user, now=now, limit=40)
        counts = inbox.inbox_counts(user=user, now=now)
        # Then they are what the scope over viewflow's open tasks gives
        old = _old_scope(user)
        expected = list(old.order_by(F("deadline").asc(nulls_last=True), "pk").values_list("pk", flat=True)[:40])
        assert [t.pk for t in found["tasks"]] == expected, user
        assert found["total"] == old.count() == counts["open"], user
        overdue = states.q(ProposalTask, SupervisionState.OVERDUE) | states.q(ProposalTask, SupervisionState.SEVERELY_OVERDUE)
        old_counts = old.aggregate(
            warning=Count("pk", filter=states.q(ProposalTask, SupervisionState.WARNING)), overdue=Count("pk", filter=overdue)
        )
        assert (counts["warning"], counts["overdue"]) == (old_counts["warning"], old_counts["overdue"]), user
        for state in inbox.STATES:
            filtered = inbox.inbox(user=user, now=now, filters=inbox.InboxFilters(state=state), limit=40)
            assert filtered["total"] == old.filter(states.q(ProposalTask, state)).count(), (user, state)
        step = inbox.inbox(user=user, now=now, filters=inbox.InboxFilters(step="proposals/flows.ProposalFlow.sign"))
        assert step["total"] == old.filter(flow_task=ProposalFlow.sign).count(), user
    assert inbox.inbox(user=handler, now=now)["total"] > 10
    assert inbox.inbox(user=office_user, now=now)["total"] > 5


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(row[3] for row in cursor.fetchall())
        # PostgreSQL reads a table of a few thousand rows sequentially whatever the
        # indexes: with sequential scans priced out, the plan shows the index it would use.
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


def test_the_inbox_queries_search_the_open_index(handler, office_user, member, approval_dept, hrss_dept):
    # Given a few thousand case tasks, most of them closed, and fresh statistics
    _cases(approval_dept, hrss_dept)
    _clone(times=150, open_every=10)
    assert ProposalTask.objects.count() > 4000
    now = dt.datetime(2026, 3, 20, 10, tzinfo=dt.timezone.utc)
    for user in (handler, office_user, member):
        # When the inbox, a state filter and the counts are read
        with CaptureQueriesContext(connection) as ctx:
            inbox.inbox(user=user, now=now)
            inbox.inbox(user=user, now=now, filters=inbox.InboxFilters(state=SupervisionState.WARNING))
            inbox.inbox_counts(user=user, now=now)
        queries = [q["sql"] for q in ctx.captured_queries if '"proposals_proposaltask"' in q["sql"]]
        assert len(queries) == 3
        for sql in queries:
            plan = _plan(sql)
            # Then each searches the partial index of open tasks (and, for the user's own
            # tasks, viewflow's (owner, status) index), never viewflow's status index over
            # all flows' open tasks (PostgreSQL may still pick it for the owner's few
            # tasks at this size: it prices both by the statistics; it may also take another
            # of the open tasks' partial indexes, the sweep's or the dashboard's, for the same rows)
            assert re.search(r"proposaltask_open_\w*idx", plan), plan
            if connection.vendor == "sqlite":
                assert "viewflow_task_status" not in plan, plan
                # and reads no task table whole
                assert not [line for line in plan.splitlines() if line.startswith("SCAN") and "USING" not in line], plan
                assert "SCAN proposals_proposaltask" not in plan and "SCAN V0" not in plan and "SCAN U0" not in plan, plan
            else:
                assert "Seq Scan on proposals_proposaltask" not in plan and "Seq Scan on viewflow_task" not in plan, plan
