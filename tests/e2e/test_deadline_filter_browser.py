"""The 期限状态 filter of the proposal and complaint lists in a browser, desktop and
phone, under the strict Content-Security-Policy (the e2e conftest fails on a violation)."""
import datetime as dt
import os

import pytest
from django.utils import timezone

from complaints.models import ComplaintTask
from proposals.models import ProposalTask
from tests.complaints import factories as cf
from tests.e2e.conftest import login
from tests.factories import at
from tests.proposals import factories as pf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SWEEP_SHOTS", "/tmp/shots-sweep")


def test_lists_filter_by_deadline_state(live_server, browser, office_user, member, dispatcher, handler, approval_dept):
    with at(2026, 3, 2, 9):  # within the seeded calendar years; the deadlines are set relative to now below
        late = pf.assigned(lead=approval_dept, title="逾期未签收的提案")
        on_time = pf.assigned(lead=approval_dept, title="按时的提案")
    ProposalTask.objects.filter(proposal=late, status="NEW").update(deadline=timezone.now() - dt.timedelta(days=2))
    ProposalTask.objects.filter(proposal=on_time, status="NEW").update(deadline=timezone.now() + dt.timedelta(days=20))
    complaint = cf.handling(dispatcher, handler, approval_dept, title="逾期的工单")
    cf.handling(dispatcher, handler, approval_dept, title="按时的工单", phone="13800000007")
    ComplaintTask.objects.filter(complaint=complaint, status="NEW").update(deadline=timezone.now() - dt.timedelta(days=2))
    os.makedirs(SHOTS, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        for username, path, name, shown, hidden in (
            (office_user.username, "/proposals/", "proposals", "逾期未签收的提案", "按时的提案"),
            (dispatcher.username, "/complaints/", "complaints", "逾期的工单", "按时的工单"),
        ):
            context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_default_timeout(15_000)
            login(page, live_server, username)
            page.goto(f"{live_server.url}{path}?deadline_state=overdue")
            select = page.locator("select[name='deadline_state']")
            assert select.input_value() == "overdue"
            body = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
            assert shown in body and hidden not in body
            # choosing another state through the form
            select.select_option("on_time")
            page.locator("[data-testid='filters'] button[type='submit']").click()
            page.wait_for_url("**deadline_state=on_time**")
            body = page.inner_text("body")
            assert hidden in body and shown not in body
            page.goto(f"{live_server.url}{path}?deadline_state=overdue")
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
            context.close()
