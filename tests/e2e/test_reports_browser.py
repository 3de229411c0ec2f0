"""The 通报 pages in a browser, under the strict CSP, on a desktop and on a phone: the
dashboard's 生成通报 button carries its period to the form; issuing lists the report."""
import os

import pytest

from tests.complaints import factories as cf
from tests.e2e.conftest import login
from workflow.models import Report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("REPORT_SHOTS", "/tmp/shots-report")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_issue_a_report_from_the_dashboard(live_server, browser, supervisor, dispatcher, handler, approval_dept, supervision_dept):
    from django.utils import timezone

    from workflow.reports import last_month

    previous = last_month(timezone.localdate())
    cf.replied(dispatcher, handler, approval_dept, phone="13800000001")
    os.makedirs(SHOTS, exist_ok=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    login(page, live_server, supervisor.username)
    page.goto(f"{live_server.url}/supervision/dashboard/?period=month&date={previous:%Y-%m-%d}")
    page.click("[data-testid='dashboard-report']")
    assert page.locator("#id_period").input_value() == "month"
    assert page.locator("#id_date").input_value() == f"{previous:%Y-%m-%d}"
    page.screenshot(path=f"{SHOTS}/report-form-1366.png", full_page=True)
    page.click("[data-testid='report-submit']")
    page.wait_for_selector("[data-testid='report-row']")
    assert Report.objects.count() == 1
    page.screenshot(path=f"{SHOTS}/reports-1366.png", full_page=True)
    context.close()

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    login(page, live_server, handler.username)
    page.goto(f"{live_server.url}/supervision/reports/")
    assert page.locator("[data-testid='report-row']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"{SHOTS}/reports-390.png", full_page=True)
    phone.close()
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    login(page, live_server, supervisor.username)
    page.goto(f"{live_server.url}/supervision/reports/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"{SHOTS}/report-form-390.png", full_page=True)
    phone.close()
