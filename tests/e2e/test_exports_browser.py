"""In the browser, under the strict CSP: 导出Excel on the complaint list with a
small threshold becomes a background export; its page shows the progress bar
(htmx polling) until the download link appears, and the file downloads.
Screenshots at 1366 and 390 px go to $SHOTS_DIR when set."""

import pytest
from playwright.sync_api import expect

from tests.complaints import factories as cf
from tests.complaints.conftest import _sms_outbox  # noqa: F401
from tests.e2e.conftest import CSP_WATCH, login, shot
from workflow import exports
from workflow.models import ExportJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tmp_media")]




@pytest.mark.parametrize("width", [1366, 390])
def test_export_excel_on_the_complaint_list_shows_progress_then_the_download(browser, live_server, settings, monkeypatch, dispatcher, re_handler, realestate_dept, width):
    # Given three complaints in handling and a threshold of one row (the worker is ours to run)
    settings.EXPORT_DIRECT_MAX_ROWS = 1
    monkeypatch.setattr(exports, "_queue", lambda job_id: None)
    for i in range(3):
        cf.handling(dispatcher, re_handler, realestate_dept, phone=f"1380000{i:04d}")
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/complaints/?status=handling")
    shot(page, f"export-list-{width}")
    # When the dispatcher clicks 导出Excel
    page.get_by_test_id("export-excel").click()
    # Then the export's page shows its progress, polling
    status = page.get_by_test_id("export-status")
    expect(status).to_have_attribute("data-status", "pending")
    job = ExportJob.objects.get()
    assert job.filters == {"status": "handling"} and job.total == 3
    ExportJob.objects.filter(pk=job.pk).update(status="running", done=1)
    expect(page.locator("progress")).to_have_attribute("value", "1")
    shot(page, f"export-running-{width}")
    ExportJob.objects.filter(pk=job.pk).update(status="pending", done=0)
    assert exports.export_job_run(job_id=job.pk) == "done"
    link = page.get_by_test_id("export-download")
    expect(link).to_be_visible()
    expect(page.locator("progress")).to_have_attribute("value", "3")
    shot(page, f"export-done-{width}")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    # and 我的导出 lists it
    page.goto(f"{live_server.url}/exports/")
    expect(page.get_by_test_id("export-row")).to_have_count(1)
    shot(page, f"exports-{width}")
    context.close()
    assert CSP_WATCH.take() == []


@pytest.mark.parametrize("width", [1366, 390])
def test_every_list_has_the_export_button(browser, live_server, office_user, member, approval_dept, handler, supervisor, width):
    from tests.factories import at
    from tests.proposals import factories as pf

    with at(2026, 3, 2, 9):
        pf.assigned(lead=approval_dept, title="关于窗口一次性告知的建议")
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    for username, paths in (("handler", ["/proposals/?status=handling", "/supervision/urging/", "/supervision/notices/"]),
                            ("supervisor", ["/proposals/supervision/"])):
        context.clear_cookies()
        login(page, live_server, username)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            expect(page.get_by_test_id("export-excel")).to_be_visible()
            shot(page, f"button-{path.strip('/').split('?')[0].replace('/', '-')}-{width}")
    # the proposal list's button keeps the filters
    context.clear_cookies()
    login(page, live_server, "handler")
    page.goto(f"{live_server.url}/proposals/?status=handling")
    with page.expect_download() as download:
        page.get_by_test_id("export-excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    context.close()
    assert CSP_WATCH.take() == []
