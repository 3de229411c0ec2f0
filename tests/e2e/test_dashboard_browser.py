"""The supervision dashboard in a browser: the trend charts (vendored ECharts, started by
static/js/dashboard.js from the page's JSON block) draw under the strict
Content-Security-Policy, on a desktop and on a phone, with no console errors."""
import os

import pytest

from tests.complaints import factories as cf
from tests.e2e.conftest import login
from workflow.models import RuleSetting

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("DASHBOARD_SHOTS", "/tmp/shots-dash")


def _data(dispatcher, handler, approval_dept, other_handler, hrss_dept):
    for i in range(3):
        cf.replied(dispatcher, handler, approval_dept, phone=f"1380000000{i}")
    cf.dispatched(dispatcher, approval_dept, phone="13800000009")
    cf.handling(dispatcher, other_handler, hrss_dept, phone="13800000008")
    RuleSetting.objects.filter(code="ranking_min_cases").update(value=2)


def _open(browser, live_server, username, width, height, **kwargs):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height}, **kwargs)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    # (the browser's own request for /favicon.ico, which the site does not serve, is not the page's error)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.location.get("url", "") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server, username)
    page.goto(f"{live_server.url}/supervision/dashboard/")
    return context, page, errors


def test_dashboard_draws_its_charts_without_errors(live_server, browser, dispatcher, handler, approval_dept, other_handler, hrss_dept):
    _data(dispatcher, handler, approval_dept, other_handler, hrss_dept)
    os.makedirs(SHOTS, exist_ok=True)
    context, page, errors = _open(browser, live_server, dispatcher.username, 1366, 900)
    page.wait_for_selector("[data-chart='complaint'][data-chart-ready='1'] canvas")
    # the chart's table (the accessible version) is beside it, and the ranking is there
    assert page.locator("[data-section='complaint'] [data-testid='trend-table'] tbody tr").count() >= 28
    assert page.locator("[data-section='complaint'] [data-testid='ranking'] [data-rank='1']").count() >= 1
    # the tooltip is drawn on the canvas: hovering makes no inline style
    box = page.locator("[data-chart='complaint']").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.5)
    page.wait_for_timeout(300)
    page.screenshot(path=f"{SHOTS}/dashboard-1366.png", full_page=True)
    assert errors == []
    context.close()

    phone, page, errors = _open(browser, live_server, dispatcher.username, 390, 844, is_mobile=True, has_touch=True)
    page.wait_for_selector("[data-chart='complaint'][data-chart-ready='1'] canvas")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"{SHOTS}/dashboard-390.png", full_page=True)
    assert errors == []
    phone.close()
