"""Issue 11, complaints: the complaint pages at demo size and at
SCALE_COMPLAINTS complaints (default 1,000,000; bench/scale_complaints.py
builds them), same users, same URLs, medians of SCALE_REPEAT (10) requests
with each page's query count; and the supervision sweep at both sizes (its
first run at the big size moves every copied open task to its state; the
second finds nothing new). `make bench BENCH="complaints_scale"`.

Names end in _ms_demo and _ms_<size> (e.g. complaint_list_dispatcher_ms_200k).
"""
from __future__ import annotations

import os
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import scale_complaints
from bench.bench_scale import _client, _label, measure

SIZE = int(os.environ.get("SCALE_COMPLAINTS", "1000000"))
REPEAT = int(os.environ.get("SCALE_REPEAT", "10"))


def pages() -> list[tuple[str, str, str]]:
    """(figure name, username, url): the same users and the same case at every size."""
    from complaints.models import Complaint

    # The demo's first complaint (closed, rated satisfied, 不动产登记中心): the same case at both sizes.
    detail = Complaint.objects.filter(status=Complaint.Status.CLOSED, department__code="realestate").order_by("pk").values_list("pk", flat=True).first()
    return [
        ("complaint_list_dispatcher", "dispatcher1", "/complaints/"),
        ("complaint_list_handler", "re_handler1", "/complaints/"),
        ("complaint_overdue_dispatcher", "dispatcher1", "/complaints/?overdue=on"),
        ("complaint_overdue_handler", "re_handler1", "/complaints/?overdue=on"),
        ("complaint_ledger_dispatcher", "dispatcher1", "/complaints/ledger/"),
        ("complaint_detail_dispatcher", "dispatcher1", f"/complaints/{detail}/"),
        ("complaint_detail_handler", "re_handler1", f"/complaints/{detail}/"),
        ("api_complaints_dispatcher", "dispatcher1", "/api/v1/complaints/"),
        ("api_complaints_handler", "re_handler1", "/api/v1/complaints/"),
        ("home_dispatcher", "dispatcher1", "/"),
        ("home_handler", "re_handler1", "/"),
        ("supervision_dashboard_dispatcher", "dispatcher1", "/supervision/dashboard/"),
    ]


def measure_pages(label: str, scale_note: str, repeat: int = REPEAT) -> list[dict]:
    clients = {}
    rows = []
    for name, username, url in pages():
        client = clients.setdefault(username, _client(username))
        ms, queries = measure(client, url, repeat)
        rows.append({"name": f"{name}_ms_{label}", "value": round(ms, 1), "unit": "ms", "scale": scale_note,
                     "notes": f"{url} as {username}; {queries} queries", "queries": queries})
    return rows


def measure_sweep(label: str, scale_note: str) -> list[dict]:
    """Two supervision_sweep runs at now: the first moves what is due, the second finds nothing new."""
    from django.utils import timezone

    from workflow.supervision import supervision_sweep

    rows = []
    for run in ("first", "second"):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            counts = supervision_sweep(now=timezone.now())
            seconds = time.perf_counter() - t0
        entered = {str(getattr(state, "value", state)): n for state, n in counts.items()}
        rows.append({"name": f"supervision_sweep_{run}_s_{label}", "value": round(seconds, 2), "unit": "s", "scale": scale_note,
                     "notes": f"workflow.supervision.supervision_sweep(now=now), {run} run; entered {entered}; {len(ctx.captured_queries)} queries",
                     "queries": len(ctx.captured_queries)})
    return rows


def run():
    from complaints.models import Complaint, ComplaintTask

    vendor = connection.vendor
    demo = f"demo data ({Complaint.objects.count()} complaints, {ComplaintTask.objects.count()} complaint tasks), {vendor}, median of {REPEAT}"
    results = measure_pages("demo", demo) + measure_sweep("demo", demo)
    built = scale_complaints.build_complaints(complaints=SIZE)
    label = _label(SIZE)
    big = (f"{built['complaints']:,} complaints, {built['tasks']:,} complaint tasks "
           f"({built.get('all_tasks', 0):,} engine tasks), {vendor}, median of {REPEAT}")
    results.append({"name": f"complaints_scale_build_s_{label}", "value": built["seconds"], "unit": "s", "scale": big,
                    "notes": "bench/scale_complaints.py: templates through the services, copied set-wise; setup, not a product figure"})
    results += measure_pages(label, big) + measure_sweep(label, big)
    for row in results:
        row.pop("queries", None)
    return results
