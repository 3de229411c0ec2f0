"""Issue 9: the supervision sweep over SWEEP_OPEN open deadlines (default
1,000,000) of which 10% have just become overdue, against the lower bound of
one hand-written SQL statement making the same state change on the same
database; then the recompute after an administrator declares a holiday that
every open deadline still to come spans. `make bench BENCH=sweep`
(explicit only: it builds a data set of millions of rows).

The data: the complaint generator's "dispatched" shape (bench/scale_complaints.py:
a complaint through the real services, copied set-wise with its process,
tasks, events and history), so each copy has one open task, its sign-for
(签收) task, owed by a department. Then, set-wise: one complaint in ten has
its sign-for deadline at the end of the previous working day (overdue since
this morning, not yet severely), the others 5 working days ahead; every open
task on time; each dispatch's deadline remembered with its basis
(workflow.deadlines: start, 1 or 5 working days) as the services write it.

Figures:
* sweep_raw_sql_seconds: one UPDATE moving the tasks whose deadline passed
  (and are not severely overdue) to `overdue`: the state change alone; undone
  before the sweep runs (not timed).
* sweep_seconds: workflow.supervision.supervision_sweep(now): the same state
  change with its urging notices (催办单), case events, notifications (and their
  queued e-mails and text messages), in batches; sweep_vs_raw_ratio.
* sweep_second_seconds: the next sweep, with nothing to do.
* recompute_seconds: a working day between today and the future deadlines
  becomes a holiday (CalendarDay saved as the admin does); the next sweep
  recomputes every remembered deadline after it, moves the tasks with it,
  writes an event per case, and re-evaluates the states.
"""
from __future__ import annotations

import datetime as dt
import os
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

SIZE = int(os.environ.get("SWEEP_OPEN", "1000000"))
DUE_PERCENT = 10  # one complaint in ten: 10% of the open deadlines


def _label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 else str(n)


def build(*, open_deadlines: int = SIZE, chunk: int = 5000, log=print) -> dict:
    """Grow the bench database to about `open_deadlines` open sign-for tasks."""
    from bench import scale, scale_complaints
    from complaints.flows import ComplaintFlow
    from complaints.models import ComplaintTask

    t0 = time.perf_counter()
    open_sign = ComplaintTask.objects.filter(flow_task=ComplaintFlow.sign, status__in=["NEW", "ASSIGNED", "STARTED"])
    depts = scale.ensure_departments()
    members = scale.ensure_members()
    templates = scale_complaints.make_templates()
    scale._fill_map(depts, members, scale_complaints.COMPLAINTS.departments)
    copies = open_deadlines - open_sign.count()
    if copies > 0:
        log(f"  dispatched: template {templates['dispatched']} x {copies} copies")
        scale.copy_templates(template_ids=[templates["dispatched"]], copies=copies, chunk=chunk, log=log,
                             spec=scale_complaints.COMPLAINTS, days_back=None)
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_copies")
        c.execute("DROP TABLE IF EXISTS bench_map")
    return {"open": open_sign.count(), "seconds": round(time.perf_counter() - t0, 1)}


def _dt(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def arrange(*, now: dt.datetime, due_percent: int = DUE_PERCENT) -> dict:
    """Deadlines, states and remembered bases as described above; returns the days used."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from viewflow.workflow.fields import get_task_ref

    from complaints.flows import ComplaintFlow
    from complaints.models import Dispatch
    from workflow.workdays import add_working_days, end_of_day

    today = timezone.localtime(now).date()
    yesterday = add_working_days(today, -1)  # the previous working day
    start_overdue = add_working_days(today, -2)
    due_overdue, due_future = end_of_day(yesterday), end_of_day(add_working_days(today, 5))
    ct = ContentType.objects.get_for_model(Dispatch).pk
    is_overdue = f"(complaint_id %% 100) < {int(due_percent)}"  # %% : the statements take parameters
    with connection.cursor() as c:
        c.execute(
            f"UPDATE complaints_dispatch SET sign_due = CASE WHEN {is_overdue} THEN %s ELSE %s END WHERE status = 'dispatched'",
            [_dt(due_overdue), _dt(due_future)],
        )
        c.execute(
            f"UPDATE complaints_complainttask SET deadline = CASE WHEN {is_overdue} THEN %s ELSE %s END, "
            "supervision_state = 'on_time', state_changed_at = NULL, deadline_from = NULL, deadline_computed = NULL "
            "WHERE task_ptr_id IN (SELECT id FROM viewflow_task WHERE status IN ('NEW', 'ASSIGNED', 'STARTED') AND flow_task = %s)",
            [_dt(due_overdue), _dt(due_future), get_task_ref(ComplaintFlow.sign)],
        )
        c.execute("DELETE FROM workflow_deadlinebasis WHERE content_type_id = %s", [ct])
        c.execute(
            "INSERT INTO workflow_deadlinebasis (content_type_id, object_id, field, start, amount, unit, computed) "
            f"SELECT %s, id, 'sign_due', CASE WHEN {is_overdue} THEN %s ELSE %s END, CASE WHEN {is_overdue} THEN 1 ELSE 5 END, "
            "'wd', sign_due FROM complaints_dispatch WHERE status = 'dispatched'",
            [ct, connection.ops.adapt_datefield_value(start_overdue), connection.ops.adapt_datefield_value(today)],
        )
        c.execute("ANALYZE")
    return {"today": today, "due_overdue": due_overdue, "due_future": due_future}


def raw_sql_seconds(*, now: dt.datetime, due_overdue: dt.datetime) -> tuple[float, int]:
    """The state change alone, in one statement (then undone, untimed)."""
    sql = (
        "UPDATE complaints_complainttask SET supervision_state = 'overdue', state_changed_at = %s "
        "WHERE deadline < %s AND deadline >= %s AND supervision_state <> 'overdue' "
        "AND task_ptr_id IN (SELECT id FROM viewflow_task WHERE status IN ('NEW', 'ASSIGNED', 'STARTED'))"
    )
    with connection.cursor() as c:
        t0 = time.perf_counter()
        c.execute(sql, [_dt(now), _dt(now), _dt(due_overdue)])
        moved = c.rowcount
        seconds = time.perf_counter() - t0
        c.execute("UPDATE complaints_complainttask SET supervision_state = 'on_time', state_changed_at = NULL WHERE state_changed_at = %s",
                  [_dt(now)])
    return seconds, moved


def timed_sweep(now: dt.datetime) -> tuple[float, dict, int]:
    """One sweep, timed. The calendar of the bench database was loaded minutes ago: in
    production the last change is days old, so the sweep's grace period after a calendar
    change (SUPERVISION_RECOMPUTE_GRACE_SECONDS, during which every sweep recomputes) is
    over; here it is set to 0 to be in that steady state. Likewise the process is warm (its
URLconf imported), as a worker's is after its first notification."""
    from django.test import override_settings
    from django.urls import reverse

    from workflow.supervision import supervision_sweep

    # A worker that has run before has imported the URLconf (a notification's link is a
    # reverse()): its first import, 0.5 s, is the process's, not the sweep's.
    reverse("home")
    with override_settings(SUPERVISION_RECOMPUTE_GRACE_SECONDS=0), CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        counts = supervision_sweep(now=now)
        seconds = time.perf_counter() - t0
    return seconds, {str(getattr(k, "value", k)): v for k, v in counts.items()}, len(ctx.captured_queries)


def same_shape_seconds(*, open_deadlines: int, due: int) -> dict | None:
    """The sweep on the shape of another benchmark (bench_helpdesk: 100,000 tickets of which
    30,000 due): grows the bench database to `open_deadlines` open tasks, makes `due` of them
    overdue, settles one sweep before and times the next. None when the database already
    holds many more open tasks (a 1,000,000 run of this benchmark earlier in the same
    `make bench`): the shapes would differ."""
    from django.utils import timezone

    from complaints.models import ComplaintTask

    open_now = ComplaintTask.objects.filter(is_open=True).count()
    if open_now > open_deadlines * 1.05:
        return None
    build(open_deadlines=open_deadlines)
    now = timezone.now()
    timed_sweep(now - dt.timedelta(minutes=15))
    arrange(now=now, due_percent=round(100 * due / open_deadlines))
    seconds, counts, queries = timed_sweep(now)
    return {"seconds": seconds, "due": counts.get("overdue", 0), "open": ComplaintTask.objects.filter(is_open=True).count(),
            "queries": queries}


def declare_holiday(day: dt.date) -> None:
    from workflow.models import CalendarDay

    row = CalendarDay.objects.get(date=day)
    row.is_working_day, row.note = False, "基准测试：临时调休"
    row.save()


def measure(*, now: dt.datetime) -> list[dict]:
    from complaints.models import ComplaintTask
    from workflow.models import CaseEvent, UrgingNotice
    from workflow.workdays import add_working_days

    # The sweep runs every 15 minutes: the previous one has checked the deadlines against
    # this version of the calendar already (a sweep reads them again only after a change).
    timed_sweep(now - dt.timedelta(minutes=15))
    days = arrange(now=now)
    open_n = ComplaintTask.objects.filter(status__in=["NEW", "ASSIGNED", "STARTED"]).count()
    scale_note = f"{open_n:,} open deadlines, {{due}} just overdue, {connection.vendor}"
    raw_s, raw_moved = raw_sql_seconds(now=now, due_overdue=days["due_overdue"])
    notices0, events0 = UrgingNotice.objects.count(), CaseEvent.objects.count()
    sweep_s, counts, queries = timed_sweep(now)
    notices, events = UrgingNotice.objects.count() - notices0, CaseEvent.objects.count() - events0
    second_s, second_counts, second_queries = timed_sweep(now + dt.timedelta(minutes=15))
    note = scale_note.format(due=f"{raw_moved:,}")
    rows = [
        {"name": "sweep_raw_sql_seconds", "value": round(raw_s, 4), "unit": "s", "scale": note,
         "notes": f"one UPDATE of the task table: {raw_moved:,} tasks to overdue (the state change alone; the lower bound)"},
        {"name": "sweep_seconds", "value": round(sweep_s, 3), "unit": "s", "scale": note,
         "notes": f"supervision_sweep(now): entered {counts}; {notices:,} urging notices, {events:,} case events, "
                  f"notifications and their queued messages; {queries} queries", "due": raw_moved},
        {"name": "sweep_vs_raw_ratio", "value": round(sweep_s / raw_s, 1) if raw_s else None, "unit": "ratio", "scale": note,
         "notes": "sweep_seconds / sweep_raw_sql_seconds (goal: at most 3)"},
        {"name": "sweep_second_seconds", "value": round(second_s, 3), "unit": "s", "scale": note,
         "notes": f"the next sweep, nothing new: entered {second_counts}; {second_queries} queries"},
    ]
    # An administrator declares the second working day from today a holiday: every
    # future deadline (5 WD ahead) moves one working day later.
    declare_holiday(add_working_days(days["today"], 2))
    events0 = CaseEvent.objects.filter(type="deadline_recomputed").count()
    recompute_s, counts, queries = timed_sweep(now + dt.timedelta(minutes=30))
    moved = CaseEvent.objects.filter(type="deadline_recomputed").count() - events0
    rows.append({"name": "recompute_seconds", "value": round(recompute_s, 3), "unit": "s", "scale": note,
                 "notes": f"one holiday declared; the next sweep recomputed {counts.get('recomputed', 0):,} deadlines "
                          f"(dispatches' sign-for deadlines and their tasks), {moved:,} events, and re-evaluated the states; "
                          f"{queries} queries", "recomputed": counts.get("recomputed", 0)})
    return rows


def run():
    from django.utils import timezone

    built = build(open_deadlines=SIZE)
    now = timezone.now()
    rows = measure(now=now)
    label = _label(SIZE)
    for row in rows:
        row["name"] = f"{row['name']}" if SIZE >= 1_000_000 else f"{row['name']}_{label}"
        row.pop("due", None)
        row.pop("recomputed", None)
    rows.insert(0, {"name": f"sweep_build_s_{label}", "value": built["seconds"], "unit": "s",
                    "scale": f"{built['open']:,} open sign-for tasks", "notes": "bench/bench_sweep.py build(): setup, not a product figure"})
    return rows
