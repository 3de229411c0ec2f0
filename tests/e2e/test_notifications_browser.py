"""Notifications in the browser: click one to read it and open its case (the badge drops),
mark all read, and the preferences page, at desk and phone widths, under the strict CSP."""

import pytest

from tests.e2e.conftest import login, shot
from workflow import services
from workflow.models import Notification, NotificationPreference

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def person(member):
    user = member  # a committee member: the proposal kinds and the engine's on the preferences page
    user.email = "reader@example.org"
    user.save()
    services.notification_send(recipients=[user], kind="proposal.rated", params={"proposal": 999, "number": 5, "title": "关于社区养老的建议", "rating": "dissatisfied", "text": "答复未回应核心问题"})
    services.notification_send(recipients=[user], kind="supervision_warning", params={"case": "某提案", "step": "", "date": "2026-03-02", "url": "/notifications/"})
    return user


@pytest.mark.parametrize("width", [1366, 390])
def test_open_a_notice_mark_all_and_edit_preferences(browser, live_server, person, width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, "member")
    page.goto(f"{live_server.url}/notifications/")
    assert page.locator("[data-testid=notification-open]").count() == 2
    assert "dissatisfied" not in page.content() and "不满意" in page.content()
    shot(page, f"notifications-{width}")
    # When the reader clicks the warning (its case is the list itself here), it is read
    page.locator("[data-testid=notification-open]", has_text="即将到期").click()
    page.wait_for_url(f"{live_server.url}/notifications/")
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    with page.expect_navigation():
        page.click("[data-testid=notifications-read-all]")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    # The preferences page
    page.goto(f"{live_server.url}/accounts/notifications/")
    shot(page, f"preferences-{width}")
    page.check("#id_sms__proposal\\.rated")
    with page.expect_navigation():
        page.click("form[data-testid=notification-preferences-form] button[type=submit]")
    assert "通知设置已保存" in page.content()
    assert NotificationPreference.objects.get(user=person, kind="proposal.rated").channels == ["sms"]
    context.close()
