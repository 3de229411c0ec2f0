import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_handler_logs_in_and_sees_the_inbox(live_server, page, handler):
    login(page, live_server, "handler")
    page.wait_for_selector("[data-testid=inbox]")
    assert page.locator("[data-testid=inbox]").inner_text().startswith("我的待办")
    assert "承办人员" in page.locator("[data-testid=role]").first.inner_text()
    assert page.locator("[data-testid=current-user]").inner_text() == str(handler)


def test_wrong_password_is_explained(live_server, page, handler):
    login(page, live_server, "handler", password="wrong")
    assert "请输入一个正确的" in page.locator(".alert-danger").inner_text()


def test_switch_to_english_on_a_phone(live_server, phone_page, member):
    login(phone_page, live_server, "member")
    phone_page.wait_for_selector("[data-testid=inbox]")
    phone_page.click(".navbar-toggler")
    phone_page.select_option("select[name=language]", "en")
    phone_page.wait_for_selector("#inbox-title:has-text(\"My tasks\")")
    assert phone_page.locator("html").get_attribute("lang") == "en"
