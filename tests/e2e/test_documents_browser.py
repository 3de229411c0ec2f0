"""In the browser, under the strict CSP: the batch page's progress bar polls (htmx)
until the ZIP link appears; the public progress page links the citizen's reply notice;
the urging page links the supervision notice. Screenshots at 1366 and 390 px go to
$SHOTS_DIR when set."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.complaints.conftest import _sms_outbox  # noqa: F401
from tests.documents.test_citizen_notice import _replied
from tests.e2e.conftest import CSP_WATCH, login, shot
from workflow.models import DocumentBatch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tmp_media")]




@pytest.mark.parametrize("width", [1366, 390])
def test_the_batch_page_polls_until_the_zip_is_ready(browser, live_server, office_user, width):
    now = timezone.now()
    batch = DocumentBatch.objects.create(
        source="proposal_replies_by_session", kind="proposal_reply", label="一次会议的全部答复函：六届四次会议", object_ids=[1, 2, 3, 4],
        total=4, done=1, status="running", requested_by=office_user, created_at=now, updated_at=now,
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, "office")
    page.goto(f"{live_server.url}/documents/batches/{batch.pk}/")
    expect(page.locator("progress")).to_have_attribute("value", "1")
    shot(page, f"batch-running-{width}")
    DocumentBatch.objects.filter(pk=batch.pk).update(done=4, status="done", sha256="a" * 64, size=123456, file="documents/batches/x.zip")
    expect(page.get_by_test_id("batch-zip")).to_be_visible()
    expect(page.locator("progress")).to_have_attribute("value", "4")
    shot(page, f"batch-done-{width}")
    page.goto(f"{live_server.url}/documents/batches/")
    expect(page.get_by_test_id("batch-form")).to_be_visible()
    shot(page, f"batches-{width}")
    context.close()
    assert CSP_WATCH.take() == []


@pytest.mark.parametrize("width", [1366, 390])
def test_the_public_progress_page_links_the_reply_notice(browser, live_server, dispatcher, re_handler, realestate_dept, width):
    complaint, code = _replied(dispatcher, re_handler, realestate_dept)
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/complaint/track/")
    page.fill("input[name=number]", complaint.number)
    page.fill("input[name=code]", code)
    page.locator("form button[type=submit]").last.click()
    link = page.get_by_test_id("reply-notice-pdf")
    expect(link).to_be_visible()
    shot(page, f"progress-{width}")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    context.close()
    assert CSP_WATCH.take() == []
