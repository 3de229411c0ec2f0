"""Refusals (401, 403, 429) are one WARNING line each on the "security" logger, with the method,
the path without its query string, the user and the reason; never a traceback, and not a second
line from django.request. The access log of gunicorn carries no query strings either."""
import logging
import pathlib

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import as_user

pytestmark = pytest.mark.django_db

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _refusal_records(caplog):
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name in ("security", "django.request")]


def test_a_forbidden_page_is_one_line_without_a_traceback(client, handler, caplog):
    client.force_login(handler)
    with caplog.at_level(logging.INFO):
        response = client.get("/proposals/new/?q=身份证号110101199003071234")
    assert response.status_code == 403
    records = _refusal_records(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    (record,) = records
    message = record.getMessage()
    assert record.name == "security" and record.levelno == logging.WARNING
    assert record.exc_info is None and record.exc_text is None and "\n" not in message
    assert "refused 403 GET /proposals/new/ user=handler" in message
    assert "permission_denied" in message
    assert "110101199003071234" not in message and "?" not in message


def test_an_api_refusal_and_a_missing_credential_are_one_line_each(handler, caplog):
    with caplog.at_level(logging.INFO):
        assert as_user(handler).get("/api/v1/proposal-cosign-candidates/").status_code == 403
        assert APIClient().get("/api/v1/me/?token=abc").status_code == 401
    messages = [r.getMessage() for r in _refusal_records(caplog)]
    assert len(messages) == 2, messages
    assert "refused 403 GET /api/v1/proposal-cosign-candidates/ user=handler" in messages[0]
    assert "permission_denied" in messages[0]
    assert messages[1].startswith("refused 401 GET /api/v1/me/ user=- ") and "abc" not in messages[1]
    assert all(r.exc_info is None for r in caplog.records)


def test_a_lockout_is_one_line(handler, caplog):
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            APIClient().post("/api/v1/auth/token/", {"username": "handler", "password": "wrong"}, format="json")
    refusals = [r.getMessage() for r in caplog.records if r.name == "security"]
    assert len(refusals) == 1 and "refused 429 POST /api/v1/auth/token/" in refusals[0] and "locked_out" in refusals[0]


def test_the_access_log_format_has_no_query_string():
    config = (ROOT / "config" / "gunicorn.conf.py").read_text()
    namespace: dict = {}
    exec(compile(config, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 - our own config file
    access_format = namespace["access_log_format"]
    assert "%(U)s" in access_format
    for carries_query in ("%(r)s", "%(q)s", "%(f)s"):  # request line, query string, referer (a search page's URL)
        assert carries_query not in access_format
    assert "gunicorn.conf.py" in (ROOT / "scripts" / "prod_check.sh").read_text()
