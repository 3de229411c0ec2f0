"""Content-Security-Policy (django-csp): the header on pages, the admin and the API, enforced
(not report-only), with no inline script or eval; and no template brings inline script,
event handlers or style attributes back (docs/security.md, "Content-Security-Policy")."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.conftest import PASSWORD
from tests.factories import UserFactory, sign_in_verified

EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    assert "Content-Security-Policy" in response, f"no CSP header on {response.request['PATH_INFO']}"
    assert "Content-Security-Policy-Report-Only" not in response
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response, **relaxed) -> None:
    directives = policy(response)
    for name, values in {**EXPECTED, **relaxed}.items():
        assert directives.get(name) == values, (name, directives.get(name))
    header = response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in header and "'unsafe-hashes'" not in header
    assert "'unsafe-inline'" not in " ".join(directives["script-src"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/complaint/", "/complaint/track/", "/accounts/login/", "/admin/login/", "/no-such-page/"])
def test_public_pages_and_errors_carry_the_strict_policy(client, path):
    assert_strict(client.get(path))


@pytest.mark.django_db
def test_signed_in_pages_and_admin_carry_the_strict_policy(client, handler):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(handler)
    for path in ["/", "/proposals/", "/notifications/", "/accounts/password/change/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_strict(response)
    sign_in_verified(client, admin)  # the admin needs the second factor
    for path in ["/admin/", "/admin/workflow/user/", "/api/v1/docs/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_strict(response)


@pytest.mark.django_db
def test_api_answers_carry_the_policy(handler):
    api = APIClient()
    # refused without credentials: JSON, still under the policy
    assert_strict(api.get("/api/v1/me/"))
    token = api.post("/api/v1/auth/token/", {"username": "handler", "password": PASSWORD}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION="Token " + token)
    response = api.get("/api/v1/me/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert_strict(response)
    assert_strict(api.get("/api/v1/schema/"))


@pytest.mark.django_db
def test_only_the_browsable_api_page_may_use_inline_style(client, handler):
    client.force_login(handler)
    response = client.get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert_strict(response, **{"style-src": ["'self'", "'unsafe-inline'"]})
    # the same answer as JSON keeps the strict policy
    assert_strict(client.get("/api/v1/me/", HTTP_ACCEPT="application/json"))


def test_the_policy_is_enforced_in_every_environment():
    # test settings enforce it (the browser tests then fail on violations); production and local
    # take it from base.py and do not replace it
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]
    assert not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    for name in ("production", "local"):
        source = (settings.BASE_DIR / "config" / "settings" / f"{name}.py").read_text()
        assert "CONTENT_SECURITY_POLICY" not in source and "CSPMiddleware" not in source


TEMPLATES = Path(settings.BASE_DIR) / "templates"
# The PDFs' templates (documents/) are rendered by WeasyPrint on the server, never by a browser.
COMMENT = re.compile(r"\{#.*?#\}")
BROWSER_TEMPLATES = [p for p in TEMPLATES.rglob("*.html") if "documents" not in p.relative_to(TEMPLATES).parts]


@pytest.mark.parametrize("pattern, what", [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\sstyle\s*=|<style", re.I), "inline style"),
])
def test_no_template_brings_inline_code_back(pattern, what):
    found = [f"{p.relative_to(TEMPLATES)}:{n}" for p in BROWSER_TEMPLATES
             for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(COMMENT.sub("", line))]
    assert not found, f"{what} in {found}: move it to static/js or static/css (docs/security.md)"
