"""Complaint lists at realistic size: the staff list (hotline: every case;
a department handler: its own), the overdue filter, the ledger, the API list
and the public lookup, over COMPLAINT_BENCH_SIZE complaints (default
1,000,000) inserted in bulk (no flow tasks: the lists read the complaint and
dispatch tables only). Medians of 20 requests through the Django test client,
and each page's query count."""
import datetime as dt
import os
import random
import statistics
import time

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Category, Complaint, Dispatch
from complaints.services import secret_hash
from workflow.models import Department, User

SIZE = int(os.environ.get("COMPLAINT_BENCH_SIZE", "1000000"))
BATCH = 5000


def _populate(size: int) -> None:
    rng = random.Random(8)
    categories = list(Category.objects.all())
    departments = list(Department.objects.filter(kind="government"))
    code_hash = secret_hash("BENCH234")
    now = timezone.now()
    statuses = [Complaint.Status.CLOSED] * 16 + [Complaint.Status.HANDLING, Complaint.Status.DISPATCHED, Complaint.Status.REPLIED, Complaint.Status.NEW]
    start = Complaint.objects.count()
    for first in range(0, size, BATCH):
        complaints = []
        for i in range(first, min(first + BATCH, size)):
            received = now - dt.timedelta(minutes=(size - i) * 1.0)  # the newest last, about two years in all
            status = rng.choice(statuses)
            dept = None if status == Complaint.Status.NEW else rng.choice(departments)
            complaints.append(Complaint(
                number=f"TB{start + i + 1:010d}", query_code_hash=code_hash, kind="complaint", category=rng.choice(categories),
                channel=rng.choice(["web", "hotline", "window", "open311"]), status=status,
                title=f"窗口服务问题{i}", description="窗口工作人员未一次性告知所需材料，来回跑了多次。" * 3,
                hall="区政务服务中心", citizen_phone=f"138{i:08d}"[:11], received_at=received,
                dispatch_due=received + dt.timedelta(days=1), dispatched_at=None if dept is None else received + dt.timedelta(hours=2),
                department=dept, deadline=None if dept is None else received + dt.timedelta(days=21),
                closed_at=received + dt.timedelta(days=10) if status == Complaint.Status.CLOSED else None,
                rating="satisfied" if status == Complaint.Status.CLOSED else "",
            ))
        with transaction.atomic():
            created = Complaint.objects.bulk_create(complaints, batch_size=BATCH)
            Dispatch.objects.bulk_create([
                Dispatch(complaint=c, department=c.department, role="lead", status="signed" if c.status != "dispatched" else "dispatched",
                         dispatched_at=c.dispatched_at, sign_due=c.dispatched_at + dt.timedelta(days=1), return_due=c.dispatched_at + dt.timedelta(days=2))
                for c in created if c.department_id
            ], batch_size=BATCH)


def _measure(client, method, url, data=None, n=20):
    call = getattr(client, method)
    call(url, data) if data else call(url)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = call(url, data) if data else call(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code in (200, 404), (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        call(url, data) if data else call(url)
    return round(statistics.median(samples), 1), len(ctx.captured_queries)


def run():
    t0 = time.perf_counter()
    _populate(SIZE)
    seconds = time.perf_counter() - t0
    total = Complaint.objects.count()
    scale = f"{total:,} complaints, SQLite, Django test client, median of 20"
    results = [{"name": "complaints_bench_insert_s", "value": round(seconds, 1), "unit": "s", "scale": f"{SIZE:,} complaints + dispatches, bulk", "notes": "setup, not a product figure"}]
    hotline, handler = Client(), Client()
    hotline.force_login(User.objects.get(username="dispatcher1"))
    handler.force_login(User.objects.get(username="re_handler1"))
    anonymous = Client()
    number = Complaint.objects.filter(number__startswith="TB").order_by("-pk").values_list("number", flat=True).first()
    for name, client, method, url, data in [
        ("complaint_list_hotline", hotline, "get", "/complaints/", None),
        ("complaint_list_department", handler, "get", "/complaints/", None),
        ("complaint_list_overdue_hotline", hotline, "get", "/complaints/?overdue=on", None),
        ("complaint_ledger_hotline", hotline, "get", "/complaints/ledger/", None),
        ("complaint_api_list_hotline", hotline, "get", "/api/v1/complaints/", None),
        ("complaint_public_lookup", anonymous, "post", "/api/v1/public/complaints/track/", {"number": number, "code": "BENCH234"}),
    ]:
        from django.core.cache import cache

        cache.clear()
        median, queries = _measure(client, method, url, data)
        results.append({"name": f"{name}_median", "value": median, "unit": "ms", "scale": scale, "notes": f"{url}; {queries} queries"})
    return results
