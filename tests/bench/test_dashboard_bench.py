"""The dashboard benchmark (bench/bench_dashboard.py) at a small size, so CI proves it still
works: it names dashboard_ms and dashboard_queries with their scale, and on the generated data
(two years of copied complaints in forty departments) the dashboard from the stored daily
figures equals the live one for the month and the year."""
import pytest
from django.core.management import call_command
from django.utils import timezone

from bench import bench_dashboard
from tests.supervision.daily_helpers import live, snapshot
from workflow import dashboard
from workflow.models import DailyFigure, User

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_dashboard_benchmark_measures_what_it_names():
    call_command("demo_data", verbosity=0)
    rows = {row["name"]: row for row in bench_dashboard.run(complaints=300, proposals=60, repeat=1)}

    assert rows["dashboard_ms"]["unit"] == "ms" and rows["dashboard_ms"]["value"] > 0
    assert rows["dashboard_queries"]["value"] == rows["dashboard_queries_year"]["value"] or rows["dashboard_queries_year"]["value"] > 0
    assert "complaints" in rows["dashboard_ms"]["scale"] and "proposals" in rows["dashboard_ms"]["scale"]
    assert "loadavg" in rows["dashboard_ms"]["notes"]
    assert DailyFigure.objects.exists()
    supervisor = User.objects.get(username="supervisor1")
    for kind in ("month", "year"):
        params = {"kind": kind, "day": timezone.localdate()}
        assert snapshot(dashboard.dashboard_build(user=supervisor, **params), "complaint") == snapshot(live(supervisor, params), "complaint"), kind
