"""The supervision dashboard (督办看板): figures on a known data set, scoping by role and
department, fair rankings (minimum case count, ties), the Excel export, fixed query counts."""
import datetime as dt
import io
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from complaints import services as cs
from tests.complaints import factories as cf
from tests.factories import TZ, DepartmentFactory, at
from tests.proposals import factories as pf
from workflow import dashboard
from workflow.dashboard import DeptRow, Figure, MetricDef
from workflow.models import RuleSetting, SecurityEvent
from workflow.supervision import supervision_sweep

pytestmark = pytest.mark.django_db

URL = "/supervision/dashboard/"
MARCH = {"period": "month", "date": "2026-03-10"}


def _section(board, code):
    return next(s for s in board.sections if s.code == code)


def _figure(figures, code):
    return next(f for f in figures if f.code == code)


def _build(user, **kwargs):
    params = {"kind": "month", "day": dt.date(2026, 3, 10), **kwargs}
    return dashboard.dashboard_build(user=user, **params)


@pytest.fixture
def complaints_march(dispatcher, approval_dept, handler, hrss_dept, other_handler):
    """approval: 3 complaints in March 2026 (two replied in time, one rated bad, one not signed);
    hrss: one replied in time and rated satisfied."""
    with at(2026, 3, 2, 9):
        a1 = cf.replied(dispatcher, handler, approval_dept, phone="13800000001")
        a2 = cf.replied(dispatcher, handler, approval_dept, phone="13800000002")
        cf.dispatched(dispatcher, approval_dept, phone="13800000003")
        h1 = cf.replied(dispatcher, other_handler, hrss_dept, phone="13800000004")
        cs.complaint_callback(actor=dispatcher, complaint=a1, rating="satisfied")
        cs.complaint_callback(actor=dispatcher, complaint=a2, rating="very_dissatisfied", comment="态度差，问题未解决。")
        cs.complaint_callback(actor=dispatcher, complaint=h1, rating="satisfied")
    with at(2026, 2, 10, 9):  # another month: not in March's figures
        cf.dispatched(dispatcher, approval_dept, phone="13800000005")
    return {"a1": a1, "a2": a2, "h1": h1}


def test_complaint_figures_on_a_known_data_set(dispatcher, approval_dept, hrss_dept, complaints_march):
    # given the March complaints, when the dispatcher looks at March (on 4 March, before any deadline)
    with at(2026, 3, 4, 9):
        board = _build(dispatcher)
    section = _section(board, "complaint")
    # then four cases, each figure with the number of cases it rests on
    assert section.cases == 4
    by_dept = {r.department.pk: r for r in section.departments}
    approval = by_dept[approval_dept.pk]
    assert approval.cases == 3 and by_dept[hrss_dept.pk].cases == 1
    reply = _figure(approval.figures, "reply_on_time")
    assert (reply.num, reply.den, reply.display) == (2, 2, "100.0%")
    satisfied = _figure(approval.figures, "satisfied")
    assert (satisfied.num, satisfied.den) == (1, 2)
    sign = _figure(approval.figures, "sign_on_time")
    assert (sign.num, sign.den) == (2, 3)  # the unsigned one is past its 1 WD sign-for limit
    assert _figure(section.totals, "satisfied").den == 3
    assert _figure(section.totals, "satisfied").value == pytest.approx(66.7)
    days = _figure(approval.figures, "handling_days")
    assert days.den == 2 and days.value is not None and days.value < 1
    # the figures link to the cases behind them: the ledger with the same period and department
    assert f"department={approval_dept.pk}" in reply.link and "received_from=2026-03-01" in reply.link and "received_to=2026-03-31" in reply.link


def test_an_appealed_away_bad_review_no_longer_counts(dispatcher, supervisor, handler, approval_dept, complaints_march):
    # given the bad review of a2 excluded on appeal
    a2 = complaints_march["a2"]
    with at(2026, 3, 3, 9):
        rating = a2.ratings.get(is_bad=True)
        appeal = cs.appeal_file(actor=handler, rating=rating, reason="恶意差评，与事实不符。")
        cs.appeal_decide(actor=supervisor, appeal=appeal, facts_true=False, reasonable=False, malicious=True, note="申诉成立")
    with at(2026, 3, 4, 9):
        board = _build(dispatcher)
    approval = next(r for r in _section(board, "complaint").departments if r.department == approval_dept)
    satisfied = _figure(approval.figures, "satisfied")
    assert (satisfied.num, satisfied.den) == (1, 1)


def test_open_tasks_by_supervision_state(dispatcher, approval_dept, handler, hrss_dept, other_handler):
    # given one complaint dispatched and left unsigned, swept when overdue
    with at(2026, 3, 2, 9):
        cf.dispatched(dispatcher, approval_dept)
    supervision_sweep(now=dt.datetime(2026, 3, 4, 10, tzinfo=TZ))
    with at(2026, 3, 4, 10):
        board = _build(dispatcher)
    states = {s: n for s, _label, n, _link in _section(board, "complaint").open_states}
    assert states["overdue"] + states["severely_overdue"] >= 1


def test_proposal_figures_count_each_assigned_department(office_user, member, approval_dept, handler, dept_leader, hrss_dept, other_handler):
    # given a proposal answered by approval, and one assigned to hrss and not yet signed
    with at(2026, 3, 2, 9):
        pf.replied(lead=approval_dept, number=1)
        pf.assigned(lead=hrss_dept, number=2)
    # when the office looks at March, after hrss's sign-for limit
    with at(2026, 3, 20, 9):
        board = _build(office_user)
    section = _section(board, "proposal")
    by_dept = {r.department.pk: r for r in section.departments}
    assert by_dept[approval_dept.pk].cases == 1 and by_dept[hrss_dept.pk].cases == 1
    reply = _figure(by_dept[approval_dept.pk].figures, "reply_on_time")
    assert (reply.num, reply.den) == (1, 1)
    assert _figure(by_dept[hrss_dept.pk].figures, "reply_on_time").den == 0  # not due, not answered
    sign = _figure(by_dept[hrss_dept.pk].figures, "sign_on_time")
    assert (sign.num, sign.den) == (0, 1)
    assert _figure(by_dept[approval_dept.pk].figures, "sign_on_time").num == 1
    # the links go to the proposal list of the department (it has no date filter: said on the page)
    assert f"department={approval_dept.pk}" in reply.link and section.link_note


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_member_may_not_see_the_dashboard(client, member):
    client.force_login(member)
    assert client.get(URL).status_code == 403
    assert client.post("/supervision/dashboard.xlsx").status_code == 403


def test_a_department_sees_only_its_own_figures(client, dispatcher, handler, approval_dept, hrss_dept, complaints_march):
    client.force_login(handler)
    with at(2026, 3, 4, 9):
        page = client.get(URL, MARCH)
        # another department's figures are refused
        other = client.get(URL, {**MARCH, "department": hrss_dept.pk})
    body = page.content.decode()
    assert page.status_code == 200
    assert f'data-department="{approval_dept.pk}"' in body and f'data-department="{hrss_dept.pk}"' not in body
    assert other.status_code == 403
    # the department menu offers their own department only
    assert f'<option value="{hrss_dept.pk}"' not in body


def test_dispatcher_sees_every_department_and_no_proposals(client, dispatcher, approval_dept, hrss_dept, complaints_march):
    client.force_login(dispatcher)
    with at(2026, 3, 4, 9):
        body = client.get(URL, MARCH).content.decode()
    assert f'data-department="{approval_dept.pk}"' in body and f'data-department="{hrss_dept.pk}"' in body
    assert 'data-section="complaint"' in body and 'data-section="proposal"' not in body
    assert 'id="dashboard-charts" type="application/json"' in body


def test_a_supervisor_sees_only_the_proposals_they_supervise(office_user, member, supervisor, approval_dept, handler, hrss_dept, other_handler):
    # given a key proposal with hrss and an ordinary one with approval
    with at(2026, 3, 2, 9):
        key = pf.assigned(lead=hrss_dept, number=1)
        pf.assigned(lead=approval_dept, number=2)
    key.is_key = True
    key.save(update_fields=["is_key"])
    with at(2026, 3, 4, 9):
        board = _build(supervisor)
    depts = {r.department.pk for r in _section(board, "proposal").departments}
    assert depts == {hrss_dept.pk}


def test_bad_filters_are_clear_errors_not_500(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(URL, {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 200 and "结束日期不能早于开始日期" in response.content.decode()
    assert client.get(URL, {"period": "nonsense", "date": "not-a-date", "department": "x"}).status_code == 200


def _rows(*specs):
    rows = []
    for code, cases, num, den in specs:
        dept = DepartmentFactory(code=code, name=f"单位{code}", short_name=code)
        rows.append(DeptRow(department=dept, cases=cases, open_states={}, figures=[Figure("r", "率", "rate", "%", num, den)]))
    return rows


def test_ranking_ties_share_a_rank_and_small_samples_stand_apart():
    metric = MetricDef("r", "率")
    rows = _rows(("a", 10, 9, 10), ("b", 5, 9, 10), ("c", 8, 4, 8), ("d", 4, 4, 4), ("e", 6, 0, 0))
    ranking = dashboard.rank(rows, metric, minimum=5)
    assert [(e.row.department.code, e.rank) for e in ranking.ranked] == [("a", 1), ("b", 1), ("c", 3)]
    assert {r.department.code for r in ranking.insufficient} == {"d", "e"}  # 4 cases; no figure
    # lower is better for a rate like re-handling
    worse = dashboard.rank(rows, MetricDef("r", "率", higher_is_better=False), minimum=5)
    assert [e.row.department.code for e in worse.ranked] == ["c", "a", "b"]


def test_the_ranking_minimum_is_a_rule_in_the_rules_table(dispatcher, approval_dept, hrss_dept, complaints_march):
    assert dashboard.ranking_minimum() == 5
    with at(2026, 3, 4, 9):
        ranking = _section(_build(dispatcher, rank_by="reply_on_time"), "complaint").ranking
    assert ranking.ranked == [] and len(ranking.insufficient) == 2
    RuleSetting.objects.filter(code="ranking_min_cases").update(value=1)
    with at(2026, 3, 4, 9):
        ranking = _section(_build(dispatcher, rank_by="reply_on_time"), "complaint").ranking
    # both answered every complaint on time: they share first place
    assert [(e.row.department, e.rank) for e in ranking.ranked] == [(approval_dept, 1), (hrss_dept, 1)]


def test_export_is_a_workbook_matching_the_page_and_is_audited(client, dispatcher, approval_dept, complaints_march):
    RuleSetting.objects.filter(code="ranking_min_cases").update(value=3)
    client.force_login(dispatcher)
    with at(2026, 3, 4, 9):
        response = client.post("/supervision/dashboard.xlsx?" + urlencode({**MARCH, "rank_by": "reply_on_time"}))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    summary = list(book["总体指标"].iter_rows(values_only=True))
    assert ("投诉工单", "案件数", 4, None, None, 4) in summary
    satisfied = next(r for r in summary if r[1] == "满意率")
    assert satisfied[2] == pytest.approx(66.7) and satisfied[5] == 3
    ranking = list(book["排名"].iter_rows(values_only=True))
    assert (1, approval_dept.name, 100.0, 2, 3) in ranking
    assert any(r[0] == "样本不足，不参与排名" for r in ranking)
    event = SecurityEvent.objects.filter(object_id="supervision_dashboard").get()
    assert event.username == dispatcher.username and event.detail["rows"] > 0


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return len(ctx.captured_queries)


def test_the_page_costs_a_fixed_number_of_queries(client, dispatcher, office_user, member, approval_dept, handler, dept_leader, hrss_dept, other_handler, django_assert_max_num_queries):
    # given a small data set, measured
    with at(2026, 3, 2, 9):
        cf.replied(dispatcher, handler, approval_dept, phone="13800000001")
        pf.replied(lead=approval_dept, number=1)
    client.force_login(office_user)
    with at(2026, 3, 4, 9):
        small = _queries(client, MARCH)
    # when there are several times as many cases in more departments
    with at(2026, 3, 3, 9):
        for i in range(4):
            dept = DepartmentFactory(code=f"d{i}")
            cf.replied(dispatcher, handler, approval_dept, phone=f"1380000010{i}")
            cf.dispatched(dispatcher, dept, phone=f"1380000020{i}")
            pf.assigned(lead=dept, number=10 + i)
            pf.replied(lead=approval_dept, number=20 + i)
    # then the page costs no more queries
    with at(2026, 3, 4, 9), django_assert_max_num_queries(small):
        assert client.get(URL, MARCH).status_code == 200
    client.force_login(dispatcher)
    with at(2026, 3, 4, 9), django_assert_max_num_queries(small + 5):
        assert client.get(URL, {**MARCH, "period": "year"}).status_code == 200


def test_filters_by_channel_case_type_and_category(dispatcher, office_user, approval_dept, handler, hrss_dept, other_handler):
    with at(2026, 3, 2, 9):
        cf.dispatched(dispatcher, approval_dept, actor=dispatcher, channel="hotline", phone="13800000001")
        cf.dispatched(dispatcher, approval_dept, channel="web", phone="13800000002")
        cf.dispatched(dispatcher, approval_dept, kind="consultation", phone="13800000003")
    with at(2026, 3, 4, 9):
        assert _section(_build(dispatcher, channel="hotline"), "complaint").cases == 1
        assert _section(_build(dispatcher, case_type="complaint.consultation"), "complaint").cases == 1
        category = cf.category()
        assert _section(_build(dispatcher, category=f"complaint:{category.pk}"), "complaint").cases == 3
        # a channel is a complaint's: the office's proposal figures are left out, not mixed in
        assert [s.code for s in _build(office_user, channel="hotline").sections] == []
        assert [s.code for s in _build(office_user).sections] == ["proposal"]


def test_the_home_page_links_the_dashboard_for_the_roles_that_may_see_it(client, dispatcher, office_user, handler, supervisor, member):
    for user, shown in ((dispatcher, True), (office_user, True), (handler, True), (supervisor, True), (member, False)):
        client.force_login(user)
        assert ('href="/supervision/dashboard/"' in client.get("/").content.decode()) is shown, user.username
