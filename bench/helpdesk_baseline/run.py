"""django-helpdesk 2.6 escalation baseline (issue 9, `sweep_vs_helpdesk_speedup`).

Run with the baseline's own interpreter, never the project's .venv:

    bash bench/helpdesk_baseline/setup.sh
    HELPDESK_TICKETS=2000 HELPDESK_DUE=600 var/helpdesk-venv/bin/python bench/helpdesk_baseline/run.py

Migrates a fresh SQLite database (HELPDESK_DB, default var/helpdesk-bench.sqlite3),
builds HELPDESK_TICKETS tickets (default 100,000) of which HELPDESK_DUE (default 30,000)
are due for escalation, times `call_command("escalate_tickets")` (helpdesk's own
management command, unchanged), and prints one JSON object on the last line:
{"tickets", "due", "escalated", "seconds", "queries", "emails", ...}.

Data set (decisions where the issue was silent):
- 5 queues: 4 with escalate_days=3 and a from address, 1 with no escalation;
  EscalationExclusion rows on the Saturdays and Sundays of the last 5 weeks.
- Due tickets: open or reopened, priority 2..5, created 30 days ago, never escalated
  or last escalated 10 days ago; spread over the 4 escalating queues.
- Not-due tickets, in equal shares: open but created now; closed; resolved; on hold;
  priority 1 (helpdesk never escalates those); escalated an hour ago; in the queue
  without escalation. All old except the first, so the filter does real work.
- Every ticket has a submitter e-mail and no owner: one e-mail per escalated ticket
  (escalated_submitter), sent through Django's locmem backend and counted.
Queries are counted with a connection execute_wrapper (cheaper than DEBUG's
query log, same count).
"""
from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ["DJANGO_SETTINGS_MODULE"] = "settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

TICKETS = int(os.environ.get("HELPDESK_TICKETS", "100000"))
DUE = int(os.environ.get("HELPDESK_DUE", "30000"))
BATCH = 2000


def fresh_database() -> float:
    started = time.perf_counter()
    db = Path(settings.DATABASES["default"]["NAME"])
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


def build(tickets: int, due: int) -> float:
    """The queues, exclusions and tickets; returns seconds taken."""
    from helpdesk.models import EscalationExclusion, Queue, Ticket

    started = time.perf_counter()
    now = timezone.now()
    old = now - timedelta(days=30)
    escalating = [
        Queue.objects.create(title=f"Queue {i}", slug=f"q{i}", email_address=f"q{i}@example.org", escalate_days=3)
        for i in range(4)
    ]
    idle = Queue.objects.create(title="No escalation", slug="idle", email_address="idle@example.org")
    today = now.date()
    EscalationExclusion.objects.bulk_create(
        EscalationExclusion(name="weekend", date=today - timedelta(days=d))
        for d in range(35)
        if (today - timedelta(days=d)).weekday() >= 5
    )

    def ticket(i: int) -> Ticket:
        base = dict(title=f"Ticket {i}", submitter_email=f"user{i}@example.org", description="Printer on fire.",
                    status=Ticket.OPEN_STATUS, priority=3, created=old, queue=escalating[i % 4])
        if i < due:
            base.update(status=Ticket.OPEN_STATUS if i % 2 else Ticket.REOPENED_STATUS, priority=2 + i % 4,
                        last_escalation=None if i % 3 else now - timedelta(days=10))
        else:
            kind = (i - due) % 7
            if kind == 0:
                base.update(created=now)
            elif kind == 1:
                base.update(status=Ticket.CLOSED_STATUS)
            elif kind == 2:
                base.update(status=Ticket.RESOLVED_STATUS)
            elif kind == 3:
                base.update(on_hold=True)
            elif kind == 4:
                base.update(priority=1)
            elif kind == 5:
                base.update(last_escalation=now - timedelta(hours=1))
            else:
                base.update(queue=idle)
        return Ticket(**base)

    # `created` is auto_now_add: switched off while bulk-creating so the ages set above stay.
    created = Ticket._meta.get_field("created")
    created.auto_now_add = False
    try:
        with transaction.atomic():
            for start in range(0, tickets, BATCH):
                Ticket.objects.bulk_create([ticket(i) for i in range(start, min(start + BATCH, tickets))])
    finally:
        created.auto_now_add = True
    return time.perf_counter() - started


def escalate() -> dict:
    from helpdesk.models import FollowUp, Ticket

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    mail.outbox = []
    before = timezone.now()
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        call_command("escalate_tickets")
        seconds = time.perf_counter() - started
    escalated = Ticket.objects.filter(last_escalation__gte=before).count()
    return {
        "escalated": escalated,
        "seconds": round(seconds, 3),
        "queries": queries,
        "emails": len(mail.outbox),
        "followups": FollowUp.objects.filter(title="Ticket Escalated").count(),
    }


def main() -> None:
    import importlib.metadata as metadata

    if not 0 <= DUE <= TICKETS:
        raise SystemExit(f"HELPDESK_DUE ({DUE}) must be between 0 and HELPDESK_TICKETS ({TICKETS})")
    migrate_s = fresh_database()
    build_s = build(TICKETS, DUE)
    result = {"tickets": TICKETS, "due": DUE, **escalate()}
    result.update(
        ms_per_ticket=round(result["seconds"] * 1000 / result["escalated"], 3) if result["escalated"] else None,
        queries_per_ticket=round(result["queries"] / result["escalated"], 2) if result["escalated"] else None,
        migrate_seconds=round(migrate_s, 1),
        build_seconds=round(build_s, 1),
        helpdesk_version=metadata.version("django-helpdesk"),
        django_version=django.get_version(),
        sqlite_version=connection.Database.sqlite_version,
        database=connection.vendor,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
