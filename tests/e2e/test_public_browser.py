"""A visitor with no account finds a published proposal from the login page.

Set PUBLIC_SHOTS=/some/dir to also save screenshots of the public pages at
1366 and 390 px, in Chinese and in English.
"""
import os
import pathlib

import pytest
from django.conf import settings

from proposals.models import Category, Session
from proposals.roles import Role
from tests.factories import UserFactory
from tests.proposals import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DATES = {
    "draft_at": (2019, 3, 1, 9), "submit_at": (2019, 3, 1, 9), "accept_at": (2019, 3, 5, 9), "assign_at": (2019, 5, 5, 9),
    "sign_at": (2019, 5, 6, 10), "draft_reply_at": (2019, 5, 6, 10), "submit_reply_at": (2019, 5, 6, 10),
    "sign_off_at": (2019, 5, 8, 10), "pass_review_at": (2019, 5, 8, 10), "evaluate_at": (2019, 5, 20, 9), "close_at": (2019, 5, 22, 9),
}
TITLE = "关于推进政务服务一网通办的建议"

# Every form control has a label; headings never skip a level (h1, then h2, then h3).
A11Y_CHECK = """() => {
  const problems = [];
  document.querySelectorAll("main input:not([type=hidden]), main select, main textarea").forEach(el => {
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute("aria-label") || el.closest("label");
    if (!labelled) problems.push("no label: " + (el.name || el.outerHTML.slice(0, 60)));
  });
  let last = 0;
  document.querySelectorAll("main h1, main h2, main h3, main h4").forEach(h => {
    const level = Number(h.tagName[1]);
    if (level > last + 1) problems.push(`heading ${h.tagName} after h${last}: ${h.textContent.trim().slice(0, 30)}`);
    last = level;
  });
  if (document.querySelectorAll("main h1").length !== 1) problems.push("not one h1");
  document.querySelectorAll("main *").forEach(el => {
    if (el.getBoundingClientRect().right > window.innerWidth + 1) problems.push("wider than the screen: " + el.outerHTML.slice(0, 60));
  });
  return problems;
}"""


@pytest.fixture
def published(member, office_user, handler, dept_leader, other_handler, approval_dept, hrss_dept):
    UserFactory(username="leader_hrss", roles=[(hrss_dept, Role.DEPT_LEADER)])
    session = factories.SessionFactory()
    later = Session.objects.create(committee=session.committee, name="六届五次会议", year=2020)
    one = factories.closed(
        proposer=member, title=TITLE, analysis="大厅自助终端经常故障，群众办事“多头跑”。", suggestions="建议定期巡检自助终端。",
        lead=approval_dept, number=1, reply_class="A", **DATES,
    )
    factories.closed(
        proposer=member, kind="organisation", organisation_name="民盟朝天区基层委员会", title="关于加强青年就业服务的建议",
        analysis="部分青年求职渠道少。", suggestions="建议开展职业技能培训。", session=later,
        category=Category.objects.get(name="社会事业"), lead=hrss_dept, number=1, reply_class="B", **DATES,
    )
    return one


def check_page(page) -> None:
    assert page.evaluate(A11Y_CHECK) == []


def test_visitor_finds_a_published_proposal_from_the_login_page(live_server, browser, published):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # given the login page, on a phone
    page.goto(f"{live_server.url}/accounts/login/")
    # when the visitor follows the link to the public proposals
    with page.expect_navigation():
        page.click("[data-testid=public-proposals-link]")
    check_page(page)
    assert page.locator("[data-testid=public-proposal]").count() == 2
    # and searches for words of the proposal's analysis
    page.fill("#id_q", "自助终端")
    with page.expect_navigation():
        page.click("[data-testid=public-search]")
    assert "q=" in page.url  # a bookmarkable URL
    rows = page.locator("[data-testid=public-proposal]")
    assert rows.count() == 1
    assert "所提问题已经解决或采纳" in rows.first.inner_text()
    # and opens the proposal
    with page.expect_navigation():
        page.click("[data-testid=public-proposal-link]")
    check_page(page)
    # then its text and its reply's class label are there, with the letter to download
    assert page.locator("[data-testid=public-title]").inner_text() == TITLE
    assert "大厅自助终端经常故障" in page.locator("[data-testid=public-analysis]").inner_text()
    assert "建议定期巡检自助终端" in page.locator("[data-testid=public-suggestions]").inner_text()
    assert page.locator("[data-testid=reply-class-label]").inner_text() == "所提问题已经解决或采纳"
    assert page.locator("[data-testid=document-proposal_reply]").count() == 1
    context.close()


def test_public_pages_screenshots(live_server, browser, published):
    """Both pages at 1366 and 390 px, in Chinese and English: no overflow, labelled, headings in order."""
    shots = os.environ.get("PUBLIC_SHOTS")
    for locale, lang in (("zh-CN", "zh-hans"), ("en-US", "en")):
        for width in (1366, 390):
            context = browser.new_context(locale=locale, viewport={"width": width, "height": 900}, has_touch=width < 500)
            context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            for name, url in (("list", "/proposals/public/?year=2019"), ("detail", f"/proposals/public/{published.pk}/")):
                page.goto(f"{live_server.url}{url}")
                check_page(page)
                assert page.locator("html").get_attribute("lang") == lang
                if shots:
                    pathlib.Path(shots).mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=f"{shots}/public-{name}-{lang}-{width}.png", full_page=True)
            context.close()
