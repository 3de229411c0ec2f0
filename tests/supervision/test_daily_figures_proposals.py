"""Pre-aggregated daily figures of proposals (proposals.metrics.DAILY): the dashboard built from
the stored days equals the live computation for every figure, reader's scope (supervisor: key
proposals and their unit's; the office; a department's handler and leader; a leading official or
a supervisor who also handles: live), filter and period kind, also after the events that change
an old day (re-handling, an evaluation, a reassignment, an extension, a deadline passing, a
calendar correction); the query count stays fixed."""
import datetime as dt

import pytest

from proposals import services as ps
from proposals.models import Assignment, Proposal
from proposals.roles import Role
from tests.factories import TZ, DepartmentFactory, UserFactory, at
from tests.proposals import factories as pf
from tests.supervision.daily_helpers import assert_same
from workflow import dashboard
from workflow.daily_figures import daily_figures_refresh
from workflow.models import CalendarDay, DailyFigure, DailyFigureDay

pytestmark = pytest.mark.django_db

NOW = (2026, 3, 20, 9)


@pytest.fixture
def second_office(db):
    """Another supervising unit (the supervisor fixture's is supervision_dept)."""
    from workflow.models import Department

    return DepartmentFactory(code="supervision2", name="区委督查室", short_name="区委督查室", kind=Department.Kind.SUPERVISION_OFFICE)


@pytest.fixture
def proposals(approval_dept, hrss_dept, supervision_dept, second_office, handler, dept_leader, other_handler, office_user, member):
    """Proposals assigned over February and March 2026: key and not, supervised by the
    supervision office or another unit or none, answered on time or not, rated satisfied or
    not, co-handled, one re-handled, one left unsigned past the sign-for limit."""
    made = {}
    UserFactory(username="hrss_leader", roles=[(hrss_dept, Role.DEPT_LEADER)])
    official = UserFactory(username="key_leader", roles=[(second_office, Role.KEY_LEADER)])
    key = {"is_key": True, "leading_official": official, "supervising_unit": second_office}
    with at(2026, 2, 26, 9):
        made["feb"] = pf.evaluated(lead=approval_dept, number=1, **key)
    with at(2026, 3, 2, 9):
        made["key"] = pf.replied(lead=approval_dept, number=2, **key)
        made["sup"] = pf.replied(lead=hrss_dept, co_handlers=[approval_dept], number=3, supervising_unit=supervision_dept)
        made["other"] = pf.replied(lead=hrss_dept, number=4, supervising_unit=second_office)
    with at(2026, 3, 3, 9):
        made["unsigned"] = pf.assigned(lead=approval_dept, number=5, supervising_unit=supervision_dept)
        made["plain"] = pf.signed(lead=hrss_dept, number=6)
    with at(2026, 3, 9, 9):
        made["bad"] = pf.evaluated(lead=approval_dept, number=7, supervising_unit=supervision_dept, result_rating="dissatisfied")
        made["sat"] = pf.evaluated(pf.replied(lead=hrss_dept, number=8, **key))
    with at(2026, 3, 18, 9):
        made["recent"] = pf.assigned(lead=approval_dept, number=10, supervising_unit=supervision_dept)
    with at(2026, 3, 16, 9):
        made["late"] = pf.replied(lead=approval_dept, number=9, assign_at=(2026, 3, 4, 9), **key)
    return made


def _assert_same(users, filters=({},)):
    assert assert_same(users, "proposal", filters)


@pytest.fixture
def readers(supervisor, office_user, handler, dept_leader, other_handler, approval_dept, supervision_dept, office_dept):
    """Every kind of proposal reader of the dashboard."""
    leader = UserFactory(username="key_leader_handler", roles=[(approval_dept, Role.HANDLER), (office_dept, Role.KEY_LEADER)])
    both = UserFactory(username="supervisor_handler", roles=[(supervision_dept, Role.SUPERVISOR), (approval_dept, Role.HANDLER)])
    return [supervisor, office_user, handler, dept_leader, other_handler, leader, both]


def test_stored_proposal_figures_equal_the_live_ones_for_every_scope_and_period(proposals, readers, approval_dept, hrss_dept):
    # given the proposals, refreshed the morning of 20 March
    with at(*NOW):
        filled = daily_figures_refresh()
    assert filled["proposal"] > 0 and DailyFigure.objects.filter(provider="proposal").exists()
    assert DailyFigure.objects.filter(provider="proposal", scope_flag=True).exists()
    category = pf.default_category()
    # then every figure of every period equals the live computation for every reader, with
    # the department and category filters and another ranking figure
    with at(2026, 3, 20, 11):
        _assert_same(readers, filters=(
            {}, {"department": approval_dept.pk}, {"department": hrss_dept.pk}, {"category": f"proposal:{category.pk}"},
            {"rank_by": "satisfied"},
        ))
        assert DailyFigureDay.objects.filter(provider="proposal", day=dt.date(2026, 3, 2)).exists()


def test_a_supervisor_sees_key_proposals_and_their_units_only(proposals, supervisor, approval_dept, hrss_dept):
    with at(*NOW):
        daily_figures_refresh()
    with at(2026, 3, 20, 11):
        board = dashboard.dashboard_build(user=supervisor, kind="month", day=dt.date(2026, 3, 10))
    section = next(s for s in board.sections if s.code == "proposal")
    # key: 2, 8, 9; supervised: 3 (lead hrss, co approval), 5, 7, 10; not: 4 (another unit), 6
    visible = Proposal.objects.filter(number__in=[2, 3, 5, 7, 8, 9, 10])
    expected = Assignment.objects.filter(proposal__in=visible, assigned_at__month=3).exclude(status=Assignment.Status.REASSIGNED_AWAY).count()
    assert section.cases == expected


def _refreshed_then(change, users):
    with at(*NOW):
        daily_figures_refresh()
    with at(2026, 3, 20, 10):
        change()
    with at(2026, 3, 20, 11):
        _assert_same(users)
    with at(2026, 3, 20, 12):
        assert daily_figures_refresh()["proposal"] >= 1
        assert daily_figures_refresh()["proposal"] == 0
        _assert_same(users)


def test_rehandling_an_old_proposal_is_seen_at_once(proposals, supervisor, office_user, handler):
    from tests.factories import role_user

    _refreshed_then(lambda: ps.proposal_rehandle(actor=role_user(Role.PROPOSAL_OFFICE), proposal=Proposal.objects.get(pk=proposals["bad"].pk),
                                                note="请重新办理"), [supervisor, office_user, handler])


def test_an_evaluation_of_an_old_proposal_is_seen_at_once(proposals, supervisor, office_user, other_handler):
    _refreshed_then(lambda: pf.evaluated(Proposal.objects.get(pk=proposals["other"].pk), result_rating="dissatisfied"),
                    [supervisor, office_user, other_handler])


def test_a_key_flag_or_unit_change_moves_the_proposal_between_scopes(proposals, supervisor, office_user, second_office):
    def change():
        p = Proposal.objects.get(pk=proposals["other"].pk)
        p.is_key = True
        p.save()
        q = Proposal.objects.get(pk=proposals["unsigned"].pk)
        q.supervising_unit = second_office
        q.save()

    _refreshed_then(change, [supervisor, office_user])


def test_a_reassignment_and_an_extension_are_seen_at_once(proposals, supervisor, office_user, handler, other_handler, hrss_dept):
    def change():
        a = Assignment.objects.get(proposal=proposals["recent"], status=Assignment.Status.ASSIGNED)
        a = ps.assignment_request_reassign(actor=handler, assignment=a, reason="不属于本单位职责。")
        ps.assignment_decide_reassign(actor=office_user, assignment=a, approve=True, new_department=hrss_dept)
        b = Assignment.objects.get(proposal=proposals["plain"], department=hrss_dept)
        b.deadline = b.deadline - dt.timedelta(days=120)  # an extension's deadline move, saved (history)
        b.save()

    _refreshed_then(change, [supervisor, office_user, handler, other_handler])


def test_a_deadline_passing_after_the_refresh_counts_at_once(proposals, supervisor, office_user):
    with at(*NOW):
        daily_figures_refresh()
    assert DailyFigureDay.objects.filter(provider="proposal", valid_until__isnull=False).exists()
    with at(2026, 7, 20, 9):
        _assert_same([supervisor, office_user])
        daily_figures_refresh()
    with at(2026, 7, 20, 10):
        _assert_same([supervisor, office_user])


def test_a_calendar_correction_refills_every_day(proposals, supervisor):
    with at(*NOW):
        daily_figures_refresh()
    with at(2026, 3, 20, 10):
        CalendarDay.objects.update_or_create(date=dt.date(2026, 3, 4), defaults={"is_working_day": False, "note": "调休"})
    with at(2026, 3, 20, 11):
        _assert_same([supervisor])
        daily_figures_refresh()
        _assert_same([supervisor])


def test_the_proposal_refresh_is_idempotent(proposals):
    with at(*NOW):
        first = daily_figures_refresh()
        rows = sorted(DailyFigure.objects.filter(provider="proposal").values_list(
            "day", "department_id", "metric", "category", "scope_flag", "scope_unit", "num", "den"))
        second = daily_figures_refresh()
    assert first["proposal"] > 0 and second["proposal"] == 0
    assert sorted(DailyFigure.objects.filter(provider="proposal").values_list(
        "day", "department_id", "metric", "category", "scope_flag", "scope_unit", "num", "den")) == rows


def test_the_supervisor_dashboard_keeps_a_fixed_query_count(supervisor, member, office_user, handler, dept_leader, other_handler, approval_dept,
                                                           hrss_dept, supervision_dept, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    UserFactory(username="hrss_leader", roles=[(hrss_dept, Role.DEPT_LEADER)])
    official = UserFactory(username="key_leader", roles=[(supervision_dept, Role.KEY_LEADER)])
    key = {"is_key": True, "leading_official": official, "supervising_unit": supervision_dept}
    with at(2026, 3, 2, 9):
        pf.replied(lead=approval_dept, number=1, **key)
    with at(2026, 3, 3, 1):
        daily_figures_refresh()
    with at(2026, 3, 3, 2), CaptureQueriesContext(connection) as small:
        dashboard.dashboard_build(user=supervisor, kind="year", day=dt.date(2026, 3, 10))
    # when there are more proposals on more days (after that refresh), refreshed
    for n, day in enumerate((3, 4, 5, 6, 9), start=2):
        with at(2026, 3, day, 9):
            pf.replied(lead=hrss_dept if n % 2 else approval_dept, number=n, **key)
    with at(2026, 3, 20, 10):
        daily_figures_refresh()
    # then the dashboard costs no more queries
    with at(2026, 3, 20, 11), django_assert_max_num_queries(len(small.captured_queries)):
        board = dashboard.dashboard_build(user=supervisor, kind="year", day=dt.date(2026, 3, 10))
    assert next(s for s in board.sections if s.code == "proposal").cases == 6


def test_the_deadline_recompute_event_marks_the_day_changed(proposals):
    from django.contrib.contenttypes.models import ContentType

    from proposals.metrics import daily_changed_days
    from workflow.models import CaseEvent
    from workflow.supervision import EVENT_RECOMPUTED

    since = dt.datetime(2026, 3, 20, 9, tzinfo=TZ)
    with at(2026, 3, 20, 10):
        CaseEvent.objects.create(case_type=ContentType.objects.get_for_model(Proposal), case_id=proposals["key"].pk, type=EVENT_RECOMPUTED,
                                 created_at=dt.datetime(2026, 3, 20, 10, tzinfo=TZ))
        assert dt.date(2026, 3, 2) in daily_changed_days(since)
