"""Supervision notices (督办单) in a browser, under the strict CSP: the supervisor
issues one from the proposal's page, the department signs for it and answers;
desktop and phone widths (screenshots in $NOTICE_SHOTS)."""
import os

import pytest
from django.utils import timezone

from tests.e2e.conftest import login
from tests.factories import at
from tests.proposals import factories as pf
from workflow import workdays

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("NOTICE_SHOTS", "/tmp/shots-notice")


def _context(browser, width, height, **kwargs):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height}, **kwargs)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_issue_sign_and_answer_a_notice(live_server, browser, office_user, member, approval_dept, handler, supervisor, supervision_dept):
    with at(2026, 3, 3, 9, tick=True):
        _walk(live_server, browser, proposal=pf.assigned(lead=approval_dept, supervising_unit=supervision_dept), handler=handler, supervisor=supervisor)


def _walk(live_server, browser, *, proposal, handler, supervisor):
    today = timezone.localdate()
    due = workdays.add_working_days(today, 3)
    os.makedirs(SHOTS, exist_ok=True)

    context, page = _context(browser, 1366, 900)
    login(page, live_server, supervisor.username)
    page.goto(f"{live_server.url}/proposals/{proposal.pk}/")
    page.click("[data-testid='notice-issue-link']")
    page.fill("#id_requirement", "请于期限内书面报告办理进展和存在问题。")
    page.fill("#id_deadline", today.isoformat())
    page.click("form[data-testid='notice-form'] button[type=submit]")
    assert "答复期限须晚于今天" in page.locator("[data-testid='error-deadline']").inner_text()
    page.screenshot(path=f"{SHOTS}/notice-new-error-1366.png", full_page=True)
    page.fill("#id_deadline", due.isoformat())
    page.click("form[data-testid='notice-form'] button[type=submit]")
    page.wait_for_url(f"**/proposals/{proposal.pk}/")
    assert "督办单下发" in page.content()
    context.close()

    for width, height, extra in ((1366, 900, {}), (390, 844, {"is_mobile": True, "has_touch": True})):
        context, page = _context(browser, width, height, **extra)
        login(page, live_server, handler.username)
        page.goto(f"{live_server.url}/supervision/notices/")
        if width == 1366:
            page.click("[data-testid='notice-sign']")
            page.click("form[data-testid='notice-sign-form'] button[type=submit]")
            page.wait_for_url("**/supervision/notices/")
            page.click("[data-testid='notice-respond']")
            page.screenshot(path=f"{SHOTS}/notice-respond-{width}.png", full_page=True)
            page.fill("#id_response", "已专题研究，将于下周报送整改方案。")
            page.click("form[data-testid='notice-respond-form'] button[type=submit]")
            page.wait_for_url("**/supervision/notices/")
        assert page.locator("[data-testid='notice'][data-status='responded']").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"{SHOTS}/notice-list-{width}.png", full_page=True)
        context.close()

    context, page = _context(browser, 390, 844, is_mobile=True, has_touch=True)
    login(page, live_server, supervisor.username)
    page.goto(f"{live_server.url}/supervision/notices/new/proposal/{proposal.pk}/")
    page.screenshot(path=f"{SHOTS}/notice-new-390.png", full_page=True)
    page.goto(f"{live_server.url}/supervision/notices/")
    page.screenshot(path=f"{SHOTS}/notice-issued-390.png", full_page=True)
    context.close()
