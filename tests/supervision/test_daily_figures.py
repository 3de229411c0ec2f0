"""Pre-aggregated daily figures (workflow.daily_figures): the dashboard built from the stored
days equals the live computation for every figure, department scope, filter and period kind;
changes to old days, passing deadlines and calendar corrections are seen at once; the refresh
is idempotent; the page's query count stays fixed."""
import datetime as dt

import pytest

from complaints import services as cs
from complaints.models import Complaint
from tests.complaints import factories as cf
from tests.factories import TZ, at
from tests.supervision.daily_helpers import assert_same
from workflow import dashboard
from workflow.daily_figures import daily_figures_refresh
from workflow.models import CalendarDay, DailyFigure, DailyFigureDay

pytestmark = pytest.mark.django_db

NOW = (2026, 3, 20, 9)


@pytest.fixture
def cases(dispatcher, approval_dept, handler, hrss_dept, other_handler, supervisor):
    """Complaints over several days of February and March 2026 in both departments: replied on
    time or late, rated satisfied or bad (one bad review appealed away), unsigned past the
    sign-for limit, returned improperly, co-handled, merged, other channels and kinds."""
    made = {}
    with at(2026, 2, 26, 9):
        made["feb"] = cf.replied(dispatcher, handler, approval_dept, phone="13800000001")
        cs.complaint_callback(actor=dispatcher, complaint=made["feb"], rating="satisfied")
    with at(2026, 3, 2, 9):
        a = cf.replied(dispatcher, handler, approval_dept, phone="13800000002", channel="hotline", actor=dispatcher)
        b = cf.replied(dispatcher, other_handler, hrss_dept, phone="13800000003")
        cs.complaint_callback(actor=dispatcher, complaint=a, rating="satisfied")
        cs.complaint_callback(actor=dispatcher, complaint=b, rating="very_dissatisfied", comment="态度差，问题未解决。")
        made["b"] = b
        cf.dispatched(dispatcher, approval_dept, phone="13800000004")  # never signed
    with at(2026, 3, 3, 9):
        c = cf.dispatched(dispatcher, hrss_dept, co=[approval_dept], phone="13800000005", kind="consultation")
        cs.dispatch_sign(actor=other_handler, dispatch=c.dispatches.get(department=hrss_dept))
        made["c"] = c
        d = cf.dispatched(dispatcher, approval_dept, phone="13800000006")
        ret = cs.dispatch_return(actor=handler, dispatch=d.dispatches.get(department=approval_dept), reason="不属于本单位职责。")
        cs.dispatch_return_decide(actor=dispatcher, dispatch=ret, accept=False, note="属于本单位职责。")
    with at(2026, 3, 5, 9):
        late = cf.handling(dispatcher, handler, approval_dept, phone="13800000007")
    with at(2026, 3, 9, 9):
        target = cf.dispatched(dispatcher, hrss_dept, phone="13800000008")
        dup, _code = cf.submit(phone="13800000009")
        cs.complaint_merge(actor=dispatcher, complaint=dup, target=target)
        made["target"] = target
    with at(2026, 3, 16, 9):
        cs.complaint_reply(actor=handler, complaint=Complaint.objects.get(pk=late.pk), body="经核实，已整改。")
        cf.replied(dispatcher, handler, approval_dept, phone="13800000010", channel="hotline", actor=dispatcher)
    with at(2026, 3, 2, 15):
        made["appeal"] = cs.appeal_file(actor=other_handler, rating=b.ratings.get(is_bad=True), reason="恶意差评，与事实不符。")
    return made


def _assert_same(users, filters=({},)):
    assert_same(users, "complaint", filters)


def test_stored_figures_equal_the_live_ones_for_every_scope_filter_and_period(cases, dispatcher, handler, other_handler, approval_dept, hrss_dept):
    # given the cases, refreshed the morning of 20 March
    with at(*NOW):
        filled = daily_figures_refresh()
    assert filled["complaint"] > 0 and DailyFigure.objects.exists()
    category = cf.category()
    # then, a little later, every figure of every period equals the live computation: for the
    # dispatcher (every department, and each department filter), each department's handler,
    # and with the channel, category and subtype filters
    with at(2026, 3, 20, 11):
        _assert_same([dispatcher, handler, other_handler], filters=(
            {}, {"department": approval_dept.pk}, {"channel": "hotline"}, {"category": f"complaint:{category.pk}"},
            {"case_type": "complaint.consultation"}, {"rank_by": "satisfied"},
        ))
        # and the stored days were used (the live part of March is only today)
        assert DailyFigureDay.objects.filter(day=dt.date(2026, 3, 2)).exists()
        assert not DailyFigureDay.objects.filter(day=dt.date(2026, 3, 20)).exists()


def test_a_department_sees_only_its_own_stored_figures(cases, handler, approval_dept, hrss_dept):
    with at(*NOW):
        daily_figures_refresh()
    with at(2026, 3, 20, 11):
        board = dashboard.dashboard_build(user=handler, kind="month", day=dt.date(2026, 3, 10))
    section = next(s for s in board.sections if s.code == "complaint")
    assert {r.department.pk for r in section.departments} == {approval_dept.pk}
    with at(2026, 3, 20, 11), pytest.raises(dashboard.PermissionDenied):
        dashboard.dashboard_build(user=handler, kind="month", day=dt.date(2026, 3, 10), department=hrss_dept.pk)


def test_a_change_to_an_old_day_is_seen_before_the_next_refresh(cases, dispatcher, supervisor):
    # given the refreshed figures, then the bad review of 2 March appealed away on the 20th
    with at(*NOW):
        daily_figures_refresh()
    with at(2026, 3, 20, 10):
        cs.appeal_decide(actor=supervisor, appeal=cases["appeal"], facts_true=False, reasonable=False, malicious=True, note="申诉成立")
    # then the dashboard counts it at once (that day is computed live), equal to the live figures
    with at(2026, 3, 20, 11):
        _assert_same([dispatcher])
        board = dashboard.dashboard_build(user=dispatcher, kind="day", day=dt.date(2026, 3, 2))
    satisfied = next(f for f in next(s for s in board.sections if s.code == "complaint").totals if f.code == "satisfied")
    assert (satisfied.num, satisfied.den) == (1, 1)
    # and the next refresh stores that day again, and a second one finds nothing to do
    with at(2026, 3, 20, 12):
        assert daily_figures_refresh()["complaint"] >= 1
        assert daily_figures_refresh()["complaint"] == 0
        _assert_same([dispatcher])


def test_a_merge_into_an_old_case_moves_its_day(cases, dispatcher, hrss_dept):
    with at(*NOW):
        daily_figures_refresh()
    with at(2026, 3, 20, 10):
        dup, _code = cf.submit(phone="13800000011")
        cs.complaint_merge(actor=dispatcher, complaint=dup, target=cases["c"])
    with at(2026, 3, 20, 11):
        _assert_same([dispatcher])
        board = dashboard.dashboard_build(user=dispatcher, kind="day", day=dt.date(2026, 3, 3))
    repeat = next(f for f in next(s for s in board.sections if s.code == "complaint").totals if f.code == "repeat")
    assert repeat.num == 1


def test_a_deadline_passing_after_the_refresh_counts_at_once(cases, dispatcher):
    # given figures refreshed on 20 March, while the 5 March complaint's deadline is pending
    with at(*NOW):
        daily_figures_refresh()
    assert DailyFigureDay.objects.filter(valid_until__isnull=False).exists()
    # when a month later the dashboard is read before any refresh
    with at(2026, 4, 20, 9):
        _assert_same([dispatcher])
        # and after one
        daily_figures_refresh()
    with at(2026, 4, 20, 10):
        _assert_same([dispatcher])


def test_a_calendar_correction_refills_every_day(cases, dispatcher):
    with at(*NOW):
        daily_figures_refresh()
    # when 4 March becomes a day off (the working-day averages move)
    with at(2026, 3, 20, 10):
        CalendarDay.objects.update_or_create(date=dt.date(2026, 3, 4), defaults={"is_working_day": False, "note": "调休"})
    with at(2026, 3, 20, 11):
        _assert_same([dispatcher])
        daily_figures_refresh()
        _assert_same([dispatcher])


def test_the_refresh_is_idempotent(cases):
    with at(*NOW):
        first = daily_figures_refresh()
        rows = sorted(DailyFigure.objects.values_list("day", "department_id", "metric", "category", "channel", "subtype", "num", "den"))
        second = daily_figures_refresh()
    assert first["complaint"] > 0 and second["complaint"] == 0
    assert sorted(DailyFigure.objects.values_list("day", "department_id", "metric", "category", "channel", "subtype", "num", "den")) == rows


def test_stored_figures_keep_the_query_count_fixed(dispatcher, handler, approval_dept, hrss_dept, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with at(2026, 3, 2, 9):
        cf.replied(dispatcher, handler, approval_dept, phone="13800000001")
    with at(2026, 3, 3, 1):
        daily_figures_refresh()
    with at(2026, 3, 3, 2), CaptureQueriesContext(connection) as small:
        dashboard.dashboard_build(user=dispatcher, kind="year", day=dt.date(2026, 3, 10))
    # when there are more cases on more days (after that refresh), refreshed
    for day in (3, 4, 5, 6, 9, 10):
        with at(2026, 3, day, 9):
            cf.replied(dispatcher, handler, approval_dept, phone=f"138000001{day:02d}")
            cf.dispatched(dispatcher, hrss_dept, phone=f"138000002{day:02d}")
    with at(2026, 3, 20, 10):
        daily_figures_refresh()
    # then the dashboard costs no more queries, and fills no stored day live
    with at(2026, 3, 20, 11), django_assert_max_num_queries(len(small.captured_queries)):
        board = dashboard.dashboard_build(user=dispatcher, kind="year", day=dt.date(2026, 3, 10))
    assert next(s for s in board.sections if s.code == "complaint").cases == 13


def test_the_refresh_is_a_beat_task():
    from workflow import tasks
    from workflow.schedules import DEFAULT_SCHEDULES

    assert any(task == "workflow.daily_figures_refresh" for _name, task, _cron in DEFAULT_SCHEDULES)
    assert tasks.daily_figures_refresh.name == "workflow.daily_figures_refresh"
    assert isinstance(tasks.daily_figures_refresh(now=dt.datetime(2026, 3, 20, 9, tzinfo=TZ).isoformat()), dict)


def test_the_stored_sums_read_their_covering_index(cases, dispatcher):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("the plan's wording is SQLite's")
    with at(*NOW):
        daily_figures_refresh()
    with at(2026, 3, 20, 11), CaptureQueriesContext(connection) as ctx:
        dashboard.dashboard_build(user=dispatcher, kind="year", day=dt.date(2026, 3, 10))
    sums = [q["sql"] for q in ctx.captured_queries if 'FROM "workflow_dailyfigure"' in q["sql"] and "SUM(" in q["sql"]]
    assert len(sums) == 2
    with connection.cursor() as cursor:
        for sql in sums:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(row[3] for row in cursor.fetchall())
            assert "USING COVERING INDEX dailyfigure_read_idx" in plan, plan
