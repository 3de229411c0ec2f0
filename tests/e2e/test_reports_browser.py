"""The 通报 pages in a browser, under the strict CSP, on a desktop and on a phone: the
dashboard's 生成通报 button carries its period to the form; the draft is submitted, the
supervision office's leader approves it, and a department reads the published report."""

import pytest

from proposals.roles import Role
from tests.complaints import factories as cf
from tests.e2e.conftest import login, shot
from tests.factories import UserFactory
from workflow.models import Report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tmp_media")]



def _phone(browser, live_server, user, path, name):
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    login(page, live_server, user.username)
    page.goto(f"{live_server.url}{path}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, f"{name}-390")
    phone.close()


def test_draft_submit_approve_from_the_dashboard(live_server, browser, supervisor, dispatcher, handler, approval_dept, supervision_dept):
    from django.utils import timezone

    from workflow.reports import last_month

    leader = UserFactory(username="sup_leader", roles=[(supervision_dept, Role.DEPT_LEADER)])
    previous = last_month(timezone.localdate())
    cf.replied(dispatcher, handler, approval_dept, phone="13800000001")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    login(page, live_server, supervisor.username)
    page.goto(f"{live_server.url}/supervision/dashboard/?period=month&date={previous:%Y-%m-%d}")
    shot(page, "dashboard-1366")
    page.click("[data-testid='dashboard-report']")
    assert page.locator("#id_period").input_value() == "month"
    assert page.locator("#id_date").input_value() == f"{previous:%Y-%m-%d}"
    shot(page, "report-form-1366")
    page.click("[data-testid='report-save']")
    page.wait_for_selector("[data-testid='report-submit']")
    report = Report.objects.get()
    assert report.status == "draft"
    shot(page, "report-draft-1366")
    page.click("[data-testid='report-submit']")
    page.wait_for_selector("[data-testid='report-own-draft'], [data-testid='report-facts']")
    report.refresh_from_db()
    assert report.status == "submitted"
    context.close()

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    login(page, live_server, leader.username)
    page.goto(f"{live_server.url}/supervision/reports/{report.pk}/")
    shot(page, "report-approve-1366")
    page.click("[data-testid='report-approve']")
    page.wait_for_selector("[data-testid='report-status']")
    report.refresh_from_db()
    assert report.status == "published" and report.doc_number
    context.close()

    _phone(browser, live_server, handler, "/supervision/reports/", "reports")
    _phone(browser, live_server, handler, f"/supervision/reports/{report.pk}/", "report-published")
    _phone(browser, live_server, supervisor, "/supervision/reports/new/", "report-form")
    _phone(browser, live_server, supervisor, "/supervision/dashboard/", "dashboard")
