"""The supervision dashboard (督办看板): figures on a known data set, scoping by role and
department, fair rankings (minimum case count, ties), the Excel export, fixed query counts."""
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from complaints import services as cs
from complaints.models import Complaint, Dispatch
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
