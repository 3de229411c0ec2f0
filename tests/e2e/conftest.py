"""Browser tests: Playwright (Python) driving Debian's Chromium.

Playwright never downloads a browser here; the setup installs Debian's
chromium and we point Playwright at it. A missing browser fails the run
(nothing is skipped in CI).

Every browser context the tests open (the `page` fixtures and the tests' own
`browser.new_context()`) is watched for Content-Security-Policy violations:
the page's `securitypolicyviolation` events (reported through a binding, so
they survive navigation) and Chromium's console errors about the policy. Any
violation fails the test that caused it (docs/security.md).
"""
import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]

# Playwright's sync API runs an event loop in this thread; the Django test
# database is used from the same thread by fixtures, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail("Debian's chromium is not installed: run `make test` as root or apt-get install chromium")
    return path


# Runs in every page before its own scripts: reports each violation to the test.
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation({directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
                         source: e.sourceFile, line: e.lineNumber, sample: e.sample, page: document.location.href});
});
"""


class CSPWatch:
    """The violations seen since the current test started, in every watched context."""

    def __init__(self):
        self.violations: list[str] = []
        self.open_contexts: list = []

    def watch(self, context) -> None:
        context.expose_binding("__cspViolation", lambda source, v: self.violations.append(
            f"{v['directive']} blocked {v['blocked'] or 'inline'} on {v['page']} ({v['source']}:{v['line']}) {v['sample'] or ''}".strip()))
        context.add_init_script(CSP_VIOLATION_LISTENER)
        context.on("console", self._console)
        self.open_contexts.append(context)
        context.on("close", lambda ctx: self.open_contexts.remove(ctx) if ctx in self.open_contexts else None)

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.violations.append(f"console: {text} ({message.location.get('url', '')})")

    def settle(self) -> None:
        """Let the pages still open deliver what they reported (events arrive asynchronously)."""
        for context in list(self.open_contexts):
            for page in context.pages:
                try:
                    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 50))")
                except Exception:  # a page navigating or closing: nothing more to collect there
                    pass

    def take(self) -> list[str]:
        self.settle()
        found, self.violations = self.violations, []
        return found


CSP_WATCH = CSPWatch()


class WatchedBrowser:
    """The browser, whose every new context is watched for CSP violations."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        CSP_WATCH.watch(context)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield WatchedBrowser(browser)
        browser.close()


@pytest.fixture
def csp_watch():
    """For a test that checks the watch itself."""
    return CSP_WATCH


def pytest_runtest_setup(item):
    CSP_WATCH.violations = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test that passed fails if any page it opened broke the Content-Security-Policy."""
    result = yield
    violations = CSP_WATCH.take()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations), pytrace=False)
    return result


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def tmp_media(settings, tmp_path):
    """Files a page writes (documents, exports) go to a temporary MEDIA_ROOT, never into the repository."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def shot(page, name: str) -> None:
    """A full-page screenshot in $SHOTS_DIR, when set (to look at the pages; CI sets none)."""
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def login(page, live_server, username, password="pw-123456"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def open_as(browser, live_server, username, *, phone=False, width=1280, height=900):
    """A fresh context signed in as `username`, on its home page (a phone: 390 x 844, touch)."""
    if phone:
        context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    else:
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, username)
    page.wait_for_selector("[data-testid=inbox]")
    return context, page
