"""Issue 11: every page and API list at demo size and at 100,000 proposal
processes (about two million tasks), same users, same URLs, medians of 20
requests through the Django test client, with each page's query count; and
the intake rate (proposal_create + proposal_submit) at that size.

SCALE_PROPOSALS (default 100000) chooses the size; bench/scale.py builds the
data set (see its docstring for how). Writes names like inbox_ms_demo /
inbox_ms_100k so both sizes sit side by side in bench/results/latest.json.
"""
from __future__ import annotations

import os
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import scale

SIZE = int(os.environ.get("SCALE_PROPOSALS", "100000"))
REPEAT = int(os.environ.get("SCALE_REPEAT", "20"))


def _label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 else str(n)


def _client(username: str) -> Client:
    from workflow.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    return client


def measure(client: Client, url: str, repeat: int = REPEAT) -> tuple[float, int]:
    """(median ms, queries) of GET url; a non-200 answer is a failure, not a figure."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(samples), len(ctx.captured_queries)


def pages() -> list[tuple[str, str, str]]:
    """(figure name, username, url) of every page the issue names."""
    from proposals.models import Proposal

    # The seed case 第28号 (closed, 17 events) at both sizes: the same case, so
    # only the data around it changes.
    detail = Proposal.objects.filter(number=28, session__name="六届四次会议").values_list("pk", flat=True).first()
    return [
        ("inbox_handler", "handler1", "/"),
        ("inbox_office", "office1", "/"),
        ("inbox_leader", "leader1", "/"),
        ("list_office", "office1", "/proposals/"),
        ("list_handler", "handler1", "/proposals/"),
        ("list_member", "member1", "/proposals/"),
        ("supervision_office", "office1", "/proposals/supervision/"),
        ("detail_office", "office1", f"/proposals/{detail}/"),
        ("detail_handler", "handler1", f"/proposals/{detail}/"),
        ("api_proposals_office", "office1", "/api/v1/proposals/"),
        ("api_proposals_handler", "handler1", "/api/v1/proposals/"),
        ("api_tasks_handler", "handler1", "/api/v1/proposal-tasks/"),
        ("api_tasks_office", "office1", "/api/v1/proposal-tasks/"),
    ]


def measure_pages(label: str, scale_note: str, repeat: int = REPEAT) -> list[dict]:
    clients: dict[str, Client] = {}
    rows = []
    for name, username, url in pages():
        client = clients.setdefault(username, _client(username))
        ms, queries = measure(client, url, repeat)
        rows.append({"name": f"{name}_ms_{label}", "value": round(ms, 1), "unit": "ms", "scale": scale_note,
                     "notes": f"{url} as {username}; {queries} queries", "queries": queries})
    return rows


def measure_intake(n: int = 100) -> dict:
    """Proposals created and submitted per second through the services (routing, events, history)."""
    from django.db import transaction

    from proposals import services
    from proposals.models import Category, Session
    from workflow.models import User

    member = User.objects.get(username="member1")
    session = Session.objects.get(committee="基准测试", name="基准届次")
    category = Category.objects.order_by("pk").first()

    def one(i):
        with transaction.atomic():
            p = services.proposal_create(
                actor=member, session=session, title=f"关于基准测试的建议{i}", analysis="分析" * 50, suggestions="建议" * 50,
                category=category, contact_name="示例委员", contact_phone="0839-0000011",
            )
            services.proposal_submit(actor=member, proposal=p)

    one(0)
    with CaptureQueriesContext(connection) as ctx:
        one(1)
    t0 = time.perf_counter()
    for i in range(n):
        one(i + 2)
    seconds = time.perf_counter() - t0
    return {"per_second": n / seconds, "queries": len(ctx.captured_queries)}


def run():
    from proposals.models import ProposalProcess
    from viewflow.workflow.models import Task

    vendor = connection.vendor
    demo = f"demo data ({ProposalProcess.objects.count()} processes, {Task.objects.count()} tasks), {vendor}, median of {REPEAT}"
    results = measure_pages("demo", demo)
    built = scale.build(proposals=SIZE)
    label = _label(SIZE)
    big = f"{built['processes']:,} processes, {built['tasks']:,} tasks, {vendor}, median of {REPEAT}"
    results.append({"name": f"scale_build_s_{label}", "value": built["seconds"], "unit": "s", "scale": big,
                    "notes": "bench/scale.py: templates through the services, copied set-wise; setup, not a product figure"})
    results += measure_pages(label, big)
    intake = measure_intake()
    results.append({"name": "intake_per_second", "value": round(intake["per_second"], 1), "unit": "proposals/s", "scale": big,
                    "notes": f"proposal_create + proposal_submit as member1, 100 in a row; {intake['queries']} queries each"})
    for row in results:
        row.pop("queries", None)
    return results
