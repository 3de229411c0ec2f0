"""A complaint from a citizen's phone to the citizen's rating, all by clicking:
the citizen files it on a phone-sized page (no account), the dispatcher
dispatches it, the department signs and replies, the dispatcher passes the
reply, and the citizen rates it through the link sent by SMS."""
import re

import pytest

from complaints.models import Category, Complaint
from tests.e2e.conftest import login
from workflow import sms

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def staff_page(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, username)
    return context, page


def submit_and_wait(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_complaint_from_a_phone_to_the_rating_link(live_server, browser, dispatcher, realestate_dept, re_handler, monkeypatch):
    monkeypatch.setattr(sms, "send_on_commit", lambda *, phone, text, secrets=(): sms.send(phone=phone, text=text, secrets=secrets))
    import datetime as dt

    from tests.e2e.test_proposal_browser import import_provisional_calendar

    import_provisional_calendar(dt.date.today().year + 1)  # a deadline set in December reaches into next year
    category = Category.objects.get(code="window_service")

    # a citizen files the complaint on their phone, without an account
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    citizen = phone.new_page()
    citizen.set_default_timeout(15_000)
    citizen.goto(f"{live_server.url}/complaint/")
    citizen.check("input[name=kind][value=complaint]")
    citizen.select_option("select[name=category]", str(category.pk))
    citizen.fill("input[name=title]", "办理过户跑了三次，窗口不一次性告知材料")
    citizen.fill("textarea[name=description]", "不动产登记窗口工作人员每次只告知一部分材料，前后跑了三次。")
    citizen.fill("input[name=hall]", "朝天区政务服务中心")
    citizen.fill(f"input[name=c{category.pk}-answer_window_number]", "3")
    citizen.fill("input[name=citizen_phone]", "13800001234")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    submit_and_wait(citizen, "[data-testid=submit-complaint]")
    number = citizen.locator("[data-testid=number]").inner_text().strip()
    code = citizen.locator("[data-testid=code]").inner_text().strip()
    complaint = Complaint.objects.get(number=number)
    assert complaint.channel == "web" and len(code) == 8

    # the dispatcher dispatches it to the real-estate registration centre
    ctx, page = staff_page(browser, live_server, "dispatcher")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/triage/")
    page.check("input[name=outcome][value=dispatch]")
    page.select_option("select[name=department]", str(realestate_dept.pk))
    submit_and_wait(page, "[data-testid=do-triage]")
    assert page.locator("[data-testid=status]").inner_text().strip() == "已派单待签收"
    ctx.close()

    # the department signs for it and replies (the citizen's phone is masked for them)
    ctx, page = staff_page(browser, live_server, "re_handler")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    assert "13800001234" not in page.content()
    dispatch = complaint.dispatches.get()
    page.goto(f"{live_server.url}/complaints/dispatches/{dispatch.pk}/sign/")
    page.check("input[name=decision][value=sign]")
    submit_and_wait(page, f"[data-testid=do-sign-{dispatch.pk}]")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/reply/")
    page.fill("textarea[name=body]", "经核实，已对窗口工作人员批评教育，并在窗口放置一次性告知清单。")
    submit_and_wait(page, "[data-testid=do-reply]")
    assert page.locator("[data-testid=status]").inner_text().strip() == "答复待审核"
    ctx.close()

    # the dispatcher passes the reply: the citizen gets the rating link by SMS
    ctx, page = staff_page(browser, live_server, "dispatcher")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/review/")
    page.check("input[name=approve][value='1']")
    submit_and_wait(page, "[data-testid=do-review]")
    ctx.close()
    link = next(m.text for m in reversed(sms.outbox) if "/rate/" in m.text and number in m.text)
    path = re.search(r"(/complaint/rate/[^/\s]+/)", link).group(1)

    # the citizen follows the case by number and code, then rates through the link
    citizen.goto(f"{live_server.url}/complaint/track/")
    citizen.fill("input[name=number]", number)
    citizen.fill("input[name=code]", code)
    citizen.click("button[type=submit]:has-text('查询')")
    citizen.wait_for_selector("text=已对窗口工作人员批评教育")
    citizen.goto(f"{live_server.url}{path}")
    citizen.check("input[name=rating][value=satisfied]")
    submit_and_wait(citizen, "[data-testid=rate-submit]")
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED and complaint.rating == "satisfied"
    phone.close()
