"""The header's navigation per role, its live counts, the current page, the
phone menu; and the one inbox's order and chips, in the browser."""
import datetime as dt

import pytest

from tests.e2e.conftest import login
from tests.factories import at
from tests.e2e.test_proposal_browser import import_provisional_calendar
from tests.proposals import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def nav_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid=nav] > li > a[data-nav]").all_inner_texts()]


def test_each_role_gets_its_own_menu(live_server, page, handler, member, office_user, dispatcher):
    expected = {
        handler: (["我的待办", "催办单", "提案列表", "投诉工单"], ["撰写提案", "投诉受理台账"]),
        member: (["我的待办", "撰写提案", "提案列表"], ["投诉工单", "催办单"]),
        dispatcher: (["我的待办", "投诉工单", "投诉受理台账"], ["撰写提案", "提案列表"]),
    }
    for user, (present, absent) in expected.items():
        page.context.clear_cookies()
        login(page, live_server, user.username)
        page.wait_for_selector("[data-testid=inbox]")
        labels = " ".join(nav_labels(page))
        for label in present:
            assert label in labels, (user, label, labels)
        for label in absent:
            assert label not in labels, (user, label, labels)
    # The current page is marked, in the top bar and for assistive technology.
    page.click("[data-nav='complaints:list']")
    page.wait_for_load_state()
    assert page.get_attribute("[data-nav='complaints:list']", "aria-current") == "page"
    assert page.get_attribute("[data-nav=home]", "aria-current") is None
    # The rest sits under 更多.
    page.click("[data-testid=nav-more]")
    assert page.locator(".dropdown-menu.show [data-nav=departments]").is_visible()


def test_counts_order_and_chips(live_server, page, handler, member, office_user, approval_dept):
    import_provisional_calendar(dt.date.today().year + 1)  # a reply deadline 3 months on
    with at(2026, 3, 2, 9):  # the sign-for step is long overdue
        factories.assigned(lead=approval_dept, title="早交办的提案")
    factories.assigned(lead=approval_dept, title="今天交办的提案")
    login(page, live_server, handler.username)
    page.wait_for_selector("[data-testid=inbox]")
    rows = page.locator("[data-testid=task]")
    assert rows.count() == 2
    assert "早交办的提案" in rows.nth(0).inner_text() and "今天交办的提案" in rows.nth(1).inner_text()
    assert rows.nth(0).get_attribute("data-state") == "severely_overdue"
    assert "严重逾期" in rows.nth(0).locator("[data-testid=deadline-chip]").inner_text()
    assert "剩" in rows.nth(1).locator("[data-testid=deadline-chip]").inner_text()
    assert page.inner_text("[data-testid=nav-count-open]") == "2"
    assert page.inner_text("[data-testid=nav-count-overdue]") == "1"
    # Claim the first: the row says so, the count stays (it is still the handler's to do).
    with page.expect_navigation():
        rows.nth(0).locator("[data-testid=claim]").click()
    assert "由我办理" in page.locator("[data-testid=task]").nth(0).inner_text()


def test_the_phone_menu_opens(live_server, phone_page, handler):
    login(phone_page, live_server, handler.username)
    phone_page.wait_for_selector("[data-testid=inbox]")
    assert not phone_page.locator("[data-nav=home]").is_visible()
    phone_page.click(".navbar-toggler")
    phone_page.wait_for_selector("#mainnav.show")
    assert phone_page.locator("[data-nav='proposals:list']").is_visible()
    assert phone_page.locator("[data-testid=current-user]").is_visible()
