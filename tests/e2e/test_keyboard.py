"""Forms work with the keyboard alone (GB/T 37668: every function operable
from the keyboard): Tab reaches each field in order, typing fills it, Enter
or Space submits; a visible focus ring is left by Bootstrap's styles."""
import pytest

from tests.proposals import factories
from tests.factories import at

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (fails after `limit` presses)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_sign_in_and_filter_the_inbox_with_the_keyboard(live_server, page, handler, member, office_user, approval_dept):
    with at(2026, 3, 2, 9):  # a deadline inside the known calendar (2027 is not imported in tests)
        factories.assigned(lead=approval_dept, title="键盘测试的提案")
    page.goto(f"{live_server.url}/accounts/login/")
    tab_to(page, "#id_username")
    page.keyboard.type(handler.username)
    tab_to(page, "#id_password")
    page.keyboard.type("pw-123456")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=inbox]")
    assert "键盘测试的提案" in page.inner_text("[data-testid=inbox]")
    # The inbox's state filter: reach it, pick "已逾期" with the arrow keys, submit with Space.
    tab_to(page, "#id_state")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # 全部 → 按时 → 即将到期 (the select's own order)
    tab_to(page, "[data-testid=inbox-filters] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert "state=" in page.url
    # Claiming from the keyboard.
    page.goto(f"{live_server.url}/")
    tab_to(page, "[data-testid=claim]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "由我办理" in page.inner_text("[data-testid=inbox]")


def test_a_citizen_files_a_complaint_with_the_keyboard(live_server, page):
    page.goto(f"{live_server.url}/complaint/")
    # A radio group is one Tab stop (its checked button, else its first): arrow keys move inside it.
    fields = page.eval_on_selector_all(
        "main form[method=post] :is(input, select, textarea):not([type=hidden]):not([type=file]):not([disabled])",
        "els => els.filter(e => e.type !== 'radio' || (e.form.querySelector(`input[name='${e.name}']:checked`) || e.form.querySelector(`input[name='${e.name}']`)) === e).map(e => '#' + e.id)",
    )
    fields = [f for f in fields if f != "#"]
    assert len(fields) >= 3, fields
    for selector in fields:
        if page.is_visible(selector):
            tab_to(page, selector, limit=160)  # every visible field is reachable by Tab, in the page's order
    tab_to(page, "main form[method=post] [type=submit]", limit=120)
