"""Every page works under the Content-Security-Policy (no inline script, no inline style).

The e2e fixtures fail any test whose pages report a violation (tests/e2e/conftest.py);
these tests walk the main pages of each role and check that the pages' scripts,
now static files, still do their work: the public form's category questions,
similar-complaint lookup and location button, the character counter, the staff
forms' progressive disclosure and reply preview, the language menu, the admin's
and Swagger UI's scripts."""
import re
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from complaints.models import Category, Complaint
from tests.complaints import factories as complaint_factories
from tests.e2e.conftest import login
from workflow.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Links a walk does not follow: downloads, sign-out, state changes behind a GET, other areas.
NOT_WALKED = re.compile(r"(/accounts/logout/|/pdf/|\.pdf$|\.xlsx$|/i18n/|/attachments/|/notifications/\d+/open/|/admin/|/api/|/media/|/static/)")


def new_page(browser, **kwargs):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, **kwargs)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def walk(page, live_server, start: list[str], limit: int = 25) -> list[str]:
    """Visit the start pages and the site's pages they link to (one of each URL shape, ids
    replaced), each answering below 400; returns the paths visited."""
    todo, seen, visited = list(start), {re.sub(r"\d+", "N", p) for p in start}, []
    while todo and len(visited) < limit:
        path = todo.pop(0)
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, f"{path} answered {response.status}"
        visited.append(path)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url = urlparse(href)
            shape = re.sub(r"\d+", "N", url.path)
            if url.netloc != urlparse(live_server.url).netloc or NOT_WALKED.search(url.path) or shape in seen:
                continue
            seen.add(shape)
            todo.append(url.path + (f"?{url.query}" if url.query else ""))
    return visited


def test_a_violation_fails_the_test(live_server, page, csp_watch):
    # given a page of the site, when something inline runs, the watch reports it (and the check is not vacuous)
    page.goto(f"{live_server.url}/complaint/track/")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.ran = 1"; document.body.append(s); }""")
    page.evaluate("""() => { document.body.setAttribute("style", "color: red"); }""")
    assert page.evaluate("window.ran") is None
    found = csp_watch.take()
    assert any("script-src" in v for v in found) and any("style-src" in v for v in found)


def test_citizen_pages_work_under_the_policy(live_server, browser):
    # given an open complaint at the service centre
    complaint_factories.submit()
    category = Category.objects.get(code="window_service")
    context, page = new_page(browser, geolocation={"latitude": 32.6423, "longitude": 105.8897}, permissions=["geolocation"])

    # the public form: the chosen category's questions and description appear
    page.goto(f"{live_server.url}/complaint/")
    question = page.locator(f"[data-testid=questions-{category.code}]")
    assert question.is_hidden()
    page.select_option("select[name=category]", str(category.pk))
    assert question.is_visible()
    assert page.locator("#category-description").inner_text() == (category.description or "")
    # the character counter counts
    page.fill("textarea[name=description]", "窗口工作人员每次只告知一部分材料")
    assert page.locator("[data-testid=count-description]").inner_text().startswith("16 / ")
    # similar open complaints at the same place are looked up while typing
    with page.expect_response(re.compile(r"/complaint/similar/$")):
        page.fill("input[name=title]", complaint_factories.SEED_PROBLEM["title"])
        page.fill("input[name=hall]", complaint_factories.SEED_PROBLEM["hall"])
    page.wait_for_selector("[data-testid=similar-item]")
    # the location button fills in the device's position
    page.click("[data-testid=use-location]")
    # (expect polls from Playwright's side: a wait_for_function string would be eval'd in the page, which the policy refuses)
    expect(page.locator("input[name=latitude]")).to_have_value("32.642300")
    expect(page.locator("#location-status")).to_have_text("已填入当前位置。")

    # filing it, then tracking it by number and code
    page.check("input[name=kind][value=complaint]")
    page.fill(f"input[name=c{category.pk}-answer_window_number]", "3")
    with page.expect_navigation():
        page.click("[data-testid=submit-complaint]")
    number = page.locator("[data-testid=number]").inner_text().strip()
    code = page.locator("[data-testid=code]").inner_text().strip()
    page.click("[data-testid=track-link]")
    page.fill("input[name=number]", number)
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.click("[data-testid=track-submit]")
    assert page.locator("[data-testid=number]").inner_text().strip() == number

    # the language menu sends its form when changed (it had an inline onchange)
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()


def test_every_role_walks_its_pages_under_the_policy(live_server, browser):
    # given the demo organisation and cases, and a complaint waiting to be dispatched
    call_command("demo_data", stdout=open("/dev/null", "w"))
    new = Complaint.objects.filter(status=Complaint.Status.NEW).first()
    handling = Complaint.objects.filter(status=Complaint.Status.HANDLING).select_related("department").first()

    roles = {
        "member1": ["/", "/proposals/", "/proposals/new/", "/notifications/", "/accounts/password/change/"],
        "office1": ["/", "/proposals/", "/proposals/supervision/", "/proposals/public/"],
        "handler1": ["/", "/proposals/"],
        "leader1": ["/", "/proposals/"],
        "keyleader1": ["/", "/proposals/"],
        "supervisor1": ["/", "/supervision/urging/", "/proposals/supervision/"],
        "dispatcher1": ["/", "/complaints/", f"/complaints/{new.pk}/triage/", "/complaints/requests/", "/complaints/ledger/"],
        "operator1": ["/", "/complaints/new/"],
        "re_handler1": ["/", "/complaints/"],
        "sc_handler1": ["/", f"/complaints/{handling.pk}/"],
    }
    for username, start in roles.items():
        context, page = new_page(browser)
        login(page, live_server, username, password=DEMO_PASSWORD)
        page.wait_for_selector("[data-testid=inbox]")
        visited = walk(page, live_server, start)
        assert len(visited) >= len(start), username

        if username == "member1":
            # the proposal form's character counter
            page.goto(f"{live_server.url}/proposals/new/")
            page.fill("#id_analysis", "存在问题")
            assert page.locator("[data-testid=count-analysis]").inner_text() == "4 字"
        if username == "dispatcher1":
            # triage shows only the chosen outcome's fields
            page.goto(f"{live_server.url}/complaints/{new.pk}/triage/")
            dispatch = page.locator("[data-group=dispatch]")
            page.check("input[name=outcome][value=not_accept]")
            assert dispatch.is_hidden() and page.locator("[data-group=not_accept]").is_visible()
            page.check("input[name=outcome][value=dispatch]")
            assert dispatch.is_visible() and page.locator("[data-group=not_accept]").is_hidden()
        if username == "operator1":
            # intake shows the chosen category's questions only
            page.goto(f"{live_server.url}/complaints/new/")
            page.select_option("select[name=category]", str(Category.objects.get(code="window_service").pk))
            assert page.locator("[data-question]:not([hidden])").count() >= 1
            assert page.locator("[data-question][hidden]").count() >= 1
        if username == "sc_handler1":
            # the reply form previews the reply as it is typed
            page.goto(f"{live_server.url}/complaints/{handling.pk}/")
            page.fill("textarea[name$=body][data-preview]", "已修复自助终端。")
            assert page.locator("[data-testid=reply-preview]").inner_text() == "已修复自助终端。"
        context.close()


def current_code(device) -> str:
    """What the user's authenticator app shows now."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def test_admin_and_api_pages_work_under_the_policy(live_server, browser, admin_user):
    # given the superuser (the one account that sees every admin page) with an authenticator:
    # the admin needs the second factor (workflow.second_factor)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_user, name="身份验证器", confirmed=True)
    context, page = new_page(browser)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "pw-123456")
    with page.expect_navigation():
        page.click("input[type=submit]")
    # the password is not enough: the code page (itself under the policy) asks for the code
    expect(page).to_have_url(re.compile(r"/accounts/otp/verify/"))
    page.fill("[data-testid=otp-verify] input[name=token]", current_code(device))
    with page.expect_navigation():
        page.click("[data-testid=otp-verify] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    for path in ["/admin/", "/admin/workflow/user/", f"/admin/workflow/user/{admin_user.pk}/change/",
                 f"/admin/workflow/user/{admin_user.pk}/history/", "/admin/workflow/calendarday/", "/admin/workflow/securityevent/",
                 "/admin/complaints/category/", "/admin/proposals/proposal/"]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200 and urlparse(page.url).path == path, (path, page.url)
    # django-celery-beat's periodic task form: its crontab help script (moved to a file) runs
    page.goto(f"{live_server.url}/admin/django_celery_beat/periodictask/add/")
    assert urlparse(page.url).path == "/admin/django_celery_beat/periodictask/add/", page.url
    assert page.locator(".field-crontab_translation").is_hidden()
    crontabs = page.eval_on_selector_all("#id_crontab option", "options => options.map(o => o.value).filter(Boolean)")
    assert crontabs  # the supervision sweep's schedule (workflow.schedules)
    page.select_option("#id_crontab", crontabs[0])
    assert "Translation:" in page.locator(".field-crontab .help").inner_text()
    # Swagger UI renders the operations; DRF's browsable page shows the answer
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock")
    page.goto(f"{live_server.url}/api/v1/me/")
    assert admin_user.username in page.locator(".response-info").inner_text()
    context.close()
