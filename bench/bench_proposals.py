"""Proposal lists at two sizes: time and query count must not grow with the data.

Runs on the bench database (`make bench` uses var/bench.sqlite3, never the
demo one). Extra proposals are bulk-inserted as submitted/accepted rows with
assignments, which is what the list shows; they are bench data, not cases.
"""
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from proposals.models import Assignment, Category, Proposal, Session
from workflow.models import Department, User

SIZES = (200, 2000)


def _ensure(n: int) -> None:
    session, _ = Session.objects.get_or_create(committee="基准测试", name="基准届次", defaults={"year": 2026})
    have = Proposal.objects.filter(session=session).count()
    if have >= n:
        return
    member = User.objects.get(username="member1")
    category = Category.objects.first()
    depts = list(Department.objects.filter(kind="government"))
    now = timezone.now()
    rows = [
        Proposal(session=session, number=i + 1, title=f"基准提案{i + 1}", analysis="分析", suggestions="建议", category=category,
                 contact_name="x", contact_phone="1", proposer=member, status=Proposal.Status.HANDLING, submitted_at=now,
                 assigned_at=now, reply_deadline=now, handling_mode="single")
        for i in range(have, n)
    ]
    created = Proposal.objects.bulk_create(rows, batch_size=500)
    Assignment.objects.bulk_create(
        [Assignment(proposal=p, department=depts[i % len(depts)], role="single", assigned_at=now, reassign_deadline=now, deadline=now)
         for i, p in enumerate(created)],
        batch_size=500,
    )


def _measure(client, url, repeat=20):
    client.get(url)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(samples), len(ctx.captured_queries)


def run():
    office = Client()
    office.force_login(User.objects.get(username="office1"))
    handler = Client()
    handler.force_login(User.objects.get(username="handler1"))
    results = []
    for n in SIZES:
        _ensure(n)
        total = Proposal.objects.count()
        for name, client, url in (
            ("proposal_list_page_office", office, "/proposals/"),
            ("proposal_list_page_handler", handler, "/proposals/"),
            ("proposal_list_api_office", office, "/api/v1/proposals/"),
            ("proposal_list_overdue_filter_office", office, "/proposals/?overdue=1"),
        ):
            ms, queries = _measure(client, url)
            results.append({"name": f"{name}_{n}", "value": round(ms, 2), "unit": "ms", "scale": f"{total} proposals in the database, first page", "notes": f"{queries} queries; median of 20 requests, Django test client, SQLite"})
    seed = Proposal.objects.get(number=28, session__name="六届四次会议")
    ms, queries = _measure(office, f"/proposals/{seed.pk}/")
    results.append({"name": "proposal_detail_seed_case", "value": round(ms, 2), "unit": "ms", "scale": "第28号 with its 17 events", "notes": f"{queries} queries; median of 20 requests"})
    return results
