"""The sweep benchmark (bench/bench_sweep.py) at a small size, so CI proves it
still works: the data set has the open deadlines asked for, the raw statement
and the sweep move the same tasks (one in ten) to overdue with their urging
notices, the next sweep finds nothing, and the holiday moves every future
deadline with its task and its remembered basis."""
import pytest
from django.core.management import call_command
from django.utils import timezone

from bench import bench_sweep

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sweep_benchmark_measures_what_it_names():
    from complaints.flows import ComplaintFlow
    from complaints.models import ComplaintTask, Dispatch
    from workflow.models import DeadlineBasis, UrgingNotice

    call_command("demo_data", verbosity=0)
    built = bench_sweep.build(open_deadlines=300, chunk=50, log=lambda *a: None)
    assert built["open"] >= 300

    rows = {row["name"]: row for row in bench_sweep.measure(now=timezone.now())}

    opened = ComplaintTask.objects.filter(status__in=["NEW", "ASSIGNED", "STARTED"])
    sign = opened.filter(flow_task=ComplaintFlow.sign)
    overdue = sign.filter(supervision_state="overdue")
    # The raw statement and the sweep moved the same tasks (one sign-for task in ten, and any
    # other open task of the demo that fell due since the settling sweep), each sign-for task
    # with its urging notice
    assert f"'overdue': {rows['sweep_seconds']['due']}" in rows["sweep_seconds"]["notes"]
    assert overdue.count() >= 25
    assert f"{rows['sweep_seconds']['due']:,} tasks to overdue" in rows["sweep_raw_sql_seconds"]["notes"]
    assert rows["sweep_vs_raw_ratio"]["value"] is None or rows["sweep_vs_raw_ratio"]["value"] > 0
    assert UrgingNotice.objects.filter(task_id__in=overdue.values("pk")).count() == overdue.count()
    assert "'overdue': 0" in rows["sweep_second_seconds"]["notes"]
    # The holiday moved every future sign-for deadline, its task and its basis; the overdue ones stay
    future = Dispatch.objects.filter(status="dispatched").exclude(complaint_id__in=overdue.values("complaint_id"))
    assert future.count() >= 250 and rows["recompute_seconds"]["recomputed"] >= future.count()
    for dispatch in future.order_by("?")[:5]:
        basis = DeadlineBasis.objects.get(object_id=dispatch.pk, field="sign_due", content_type__model="dispatch")
        task = sign.get(complaint_id=dispatch.complaint_id)
        assert basis.computed == dispatch.sign_due == task.deadline
        assert (dispatch.sign_due.date() - basis.start).days >= 6  # 5 working days and the holiday
    for task in overdue[:5]:
        assert Dispatch.objects.get(complaint_id=task.complaint_id).sign_due == task.deadline


def test_the_helpdesk_shaped_sweep_makes_the_share_asked_for_due():
    """bench_helpdesk times our sweep on its own shape (tickets open, a share of them due)."""
    call_command("demo_data", verbosity=0)
    result = bench_sweep.same_shape_seconds(open_deadlines=300, due=90)
    assert result is not None and result["open"] >= 300
    assert 80 <= result["due"] <= 100 and result["seconds"] > 0
    # A database holding a much larger data set is not measured on another shape
    assert bench_sweep.same_shape_seconds(open_deadlines=100, due=30) is None
