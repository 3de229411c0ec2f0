"""Issue 9, `dashboard_ms` and `dashboard_queries`: the supervision dashboard of a
supervisor (every department, both case types) with DASHBOARD_COMPLAINTS complaints
(default 1,000,000; bench/scale_complaints.py) and DASHBOARD_PROPOSALS proposals
(default 20,000; bench/scale.py): server time of `dashboard_build` for this month
(the page's default) and for this year, median of DASHBOARD_REPEAT, with its query
count, after the daily figures are filled (workflow.daily_figures). The first
fill's time is reported too (setup of the pre-aggregated table, not a page figure).

`make bench BENCH=dashboard` (explicit only: it builds millions of rows).
DASHBOARD_BUILD=0 measures the database as it is (an already built one); DASHBOARD_REFILL=1
forgets its stored daily figures first (for a database grown since its last fill).
"""
from __future__ import annotations

import os
import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

COMPLAINTS = int(os.environ.get("DASHBOARD_COMPLAINTS", "1000000"))
PROPOSALS = int(os.environ.get("DASHBOARD_PROPOSALS", "20000"))
REPEAT = int(os.environ.get("DASHBOARD_REPEAT", "10"))
BUILD = os.environ.get("DASHBOARD_BUILD", "1") != "0"
# Forget the stored daily figures first, so that the fill is a first fill: a database grown by
# the generators since its last fill has copies whose history is dated in the past, which a
# refresh (looking for changes since its last run) does not see.
REFILL = os.environ.get("DASHBOARD_REFILL", "0") == "1"


def _loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return f.read().strip()
    except OSError:  # not Linux
        return "n/a"


def measure(user, *, kind: str, repeat: int = REPEAT) -> tuple[float, int]:
    """(median ms, queries) of the dashboard for `user`, period `kind` containing today."""
    from django.utils import timezone

    from workflow.dashboard import dashboard_build

    times, queries = [], 0
    connection.queries_log.clear()  # a build's thousands of queries fill the log: nothing would be captured
    for _i in range(max(1, repeat)):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            dashboard_build(user=user, kind=kind, day=timezone.localdate())
            times.append((time.perf_counter() - t0) * 1000)
        queries = len(ctx.captured_queries)
    return statistics.median(times), queries


def run(*, complaints: int = COMPLAINTS, proposals: int = PROPOSALS, repeat: int = REPEAT, build: bool = BUILD) -> list[dict]:
    from bench import scale, scale_complaints
    from bench.bench_scale import _label
    from complaints.models import Complaint
    from proposals.models import Proposal
    from workflow.daily_figures import daily_figures_refresh
    from workflow.models import User

    if build:
        scale.build(proposals=proposals, log=lambda *a: None)
        scale_complaints.build_complaints(complaints=complaints, log=lambda *a: None)
    n_complaints, n_proposals = Complaint.objects.count(), Proposal.objects.count()
    note = f"{n_complaints:,} complaints, {n_proposals:,} proposals, {connection.vendor}, median of {repeat}"
    label = _label(n_complaints)
    if REFILL:
        from workflow.models import DailyFigure, DailyFigureDay, DailyFigureStamp

        for model in (DailyFigure, DailyFigureDay, DailyFigureStamp):
            model.objects.all().delete()
    t0 = time.perf_counter()
    filled = daily_figures_refresh()
    fill_s = time.perf_counter() - t0
    load_fill = _loadavg()
    supervisor = User.objects.get(username="supervisor1")
    rows = [{"name": f"dashboard_daily_fill_s_{label}", "value": round(fill_s, 2), "unit": "s", "scale": note,
             "notes": f"workflow.daily_figures.daily_figures_refresh() first run, {filled}; loadavg {load_fill}; setup, not a page figure"}]
    for kind in ("month", "year"):
        ms, queries = measure(supervisor, kind=kind, repeat=repeat)
        load = _loadavg()
        suffix = "" if kind == "month" else "_year"
        rows.append({"name": f"dashboard_ms{suffix}", "value": round(ms, 1), "unit": "ms", "scale": note,
                     "notes": f"dashboard_build(supervisor1, {kind} of today); {queries} queries; loadavg {load}"})
        rows.append({"name": f"dashboard_queries{suffix}", "value": queries, "unit": "queries", "scale": note,
                     "notes": f"dashboard_build(supervisor1, {kind} of today); loadavg {load}"})
    return rows
