"""The scale benchmark (bench/bench_scale.py, bench/scale.py) at a small size,
so CI proves it still works: the generator's copies are real cases the pages
show, the query counts do not grow with the data, and the list queries'
plans read an index, never a whole table of proposals or tasks."""
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import bench_scale, scale

pytestmark = pytest.mark.django_db(transaction=True)

# Tables that grow with the data set: a plan may search them, never scan them whole.
BIG = ("proposals_proposal", "proposals_proposaltask", "viewflow_task", "proposals_assignment", "workflow_caseevent")


def _whole_table_scans(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            lines = [row[3] for row in cursor.fetchall()]
            # Django names tables in subqueries by aliases (U0, V0, T5): the plan shows the alias.
            aliases = dict((alias, table) for table, alias in re.findall(r'"(\w+)" ([UVT]\d+)\b', sql))
            # "SCAN t" without an index reads the whole table; "SCAN t USING [COVERING] INDEX" walks an index.
            scans = [re.match(r"SCAN (\w+)$", line) for line in lines]
            return [m.group(0) for m in scans if m and aliases.get(m.group(1), m.group(1)) in BIG]
        # PostgreSQL chooses a sequential scan for small tables whatever the indexes:
        # with sequential scans priced out, one that remains means no usable index.
        cursor.execute("SET enable_seqscan = off")  # the test runs in autocommit: SET LOCAL would not hold
        try:
            cursor.execute("EXPLAIN " + sql)
            lines = [row[0] for row in cursor.fetchall()]
        finally:
            cursor.execute("RESET enable_seqscan")
        return [line for line in lines if "Seq Scan on" in line and any(f"Seq Scan on {t} " in line + " " for t in BIG)]


def _open_flags_follow_status(label: str) -> None:
    """The copies carry the inbox's open flag (CaseTask.is_open) of their status, as
    the templates the services wrote do: new or assigned, and only those."""
    from django.apps import apps

    model = apps.get_model(label)
    assert model.objects.filter(is_open=True).count() == model.objects.filter(status__in=["NEW", "ASSIGNED"]).count() > 0
    assert not model.objects.filter(is_open=True).exclude(status__in=["NEW", "ASSIGNED"]).exists()


def test_the_generator_builds_real_cases_and_the_pages_keep_their_query_counts():
    call_command("demo_data", verbosity=0)
    demo = {row["name"].rsplit("_ms_", 1)[0]: row["queries"] for row in bench_scale.measure_pages("demo", "demo", repeat=1)}

    built = scale.build(proposals=600)
    _open_flags_follow_status("proposals.ProposalTask")

    from proposals.models import Assignment, Proposal, ProposalProcess
    from viewflow.workflow.models import Task

    assert built["processes"] == ProposalProcess.objects.count() >= 550
    assert Task.objects.count() > 15 * built["processes"]  # the real task shapes, about 20 per case
    # Copies spread over the bench departments and members, numbered without clashes.
    assert Assignment.objects.values("department").distinct().count() >= 20
    assert Proposal.objects.values("proposer").distinct().count() >= 100
    session_numbers = list(Proposal.objects.filter(number__isnull=False).values_list("session_id", "number"))
    assert len(session_numbers) == len(set(session_numbers))

    big = {row["name"].rsplit("_ms_", 1)[0]: row["queries"] for row in bench_scale.measure_pages("600", "600", repeat=1)}
    assert big == demo, "a page's query count changed with the data size"

    # A copied closed case is a whole case: its department's handler sees it with its timeline.
    copy = Proposal.objects.filter(status=Proposal.Status.CLOSED, handling_mode="lead_co").order_by("-pk").first()
    lead = copy.assignments.get(role="lead")
    from workflow.models import Membership

    handler = Membership.objects.filter(department=lead.department, role="handler").first().user
    client = bench_scale._client(handler.username)
    page = client.get(f"/proposals/{copy.pk}/")
    assert page.status_code == 200 and copy.title in page.content.decode()
    assert len(page.context["events"]) >= 8

    # Every row of a copied case is copied, and what its tasks' data name is the copy's own.
    from proposals.models import ProposalTask, Reply

    assert Reply.objects.count() >= 0.8 * Proposal.objects.filter(status__in=["closed", "replied"]).count()
    for task in ProposalTask.objects.filter(proposal__in=Proposal.objects.order_by("-pk")[:50]).exclude(data={}):
        if "assignment_id" in task.data:
            assert Assignment.objects.get(pk=task.data["assignment_id"]).proposal_id == task.proposal_id, task.data
        if "reply_id" in task.data:
            assert Reply.objects.get(pk=task.data["reply_id"]).assignment.proposal_id == task.proposal_id, task.data
        if "user_id" in task.data:
            assert task.data["user_id"] == task.proposal.proposer_id, task.data

    intake = bench_scale.measure_intake(n=3)
    assert intake["per_second"] > 0 and intake["queries"] > 0


def test_the_list_queries_read_indexes_not_whole_tables():
    call_command("demo_data", verbosity=0)
    scale.build(proposals=600)
    for name, username, url in bench_scale.pages():
        client = bench_scale._client(username)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200, url
        for query in ctx.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            assert not _whole_table_scans(sql), f"{name}: {sql[:300]}"


def test_the_complaint_generator_builds_every_shape_and_the_pages_keep_their_query_counts():
    from bench import bench_complaints_scale, scale_complaints
    from complaints.models import Complaint, ComplaintTask, Dispatch

    call_command("demo_data", verbosity=0)
    demo = {row["name"].rsplit("_ms_", 1)[0]: row["queries"] for row in bench_complaints_scale.measure_pages("demo", "demo", repeat=1)}
    needed = 300 - Complaint.objects.count() - len(scale_complaints.MIX)  # the templates count too

    built = scale_complaints.build_complaints(complaints=300, chunk=50, log=lambda *a: None)
    _open_flags_follow_status("complaints.ComplaintTask")

    assert built["complaints"] == Complaint.objects.count() >= 290
    numbers = list(Complaint.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    for shape, pk in built["templates"].items():
        template = Complaint.objects.get(pk=pk)
        copies = Complaint.objects.filter(number__startswith=f"{template.number}-")
        # Each shape has its share of the data set, every copy in the template's state.
        assert copies.count() + 1 == max(1, round(needed * scale_complaints.MIX[shape])), shape
        assert set(copies.values_list("status", flat=True)) == {template.status}, shape
        assert copies.filter(suspended_since__isnull=shape != "suspended").count() == copies.count(), shape
        # Its tasks are the template's: the same steps, open where the template's are open.
        steps = sorted((str(t.flow_task), t.status) for t in template.tasks.all())
        copy = copies.order_by("-pk").first()
        assert sorted((str(t.flow_task), t.status) for t in copy.tasks.all()) == steps, shape
        open_tasks = ComplaintTask.objects.filter(complaint__in=copies, status__in=["NEW", "ASSIGNED", "STARTED"]).count()
        if shape in scale_complaints.OPEN_SHAPES:
            assert open_tasks >= copies.count(), shape
        else:
            assert open_tasks == 0, shape
        # The copy's personal data is valid ciphertext, its task data names its own dispatches.
        assert copy.citizen_phone == template.citizen_phone == "13800009999"
        for task in copy.tasks.exclude(data={}):
            if "dispatch_id" in task.data:
                assert Dispatch.objects.get(pk=task.data["dispatch_id"]).complaint_id == copy.pk, (shape, task.data)
    # Spread over the bench departments and over the last two years.
    assert Dispatch.objects.values("department").distinct().count() >= 20
    oldest = Complaint.objects.order_by("received_at").first().received_at
    assert (Complaint.objects.order_by("-received_at").first().received_at - oldest).days > 365

    big = {row["name"].rsplit("_ms_", 1)[0]: row["queries"] for row in bench_complaints_scale.measure_pages("300", "300", repeat=1)}
    # The demo has no overdue complaint: its overdue list counts 0 rows and the
    # paginator skips the query of the rows, one query fewer than a list with rows.
    assert big.pop("complaint_overdue_dispatcher") == demo.pop("complaint_overdue_dispatcher") + 1
    assert big == demo, "a complaint page's query count changed with the data size"
    sweep = bench_complaints_scale.measure_sweep("300", "300")
    assert sweep[1]["value"] >= 0 and "'severely_overdue': 0" in sweep[1]["notes"]
