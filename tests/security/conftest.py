"""Fixtures of the account security tests: the time-based controls that the test settings
switch off (the rest of the suite travels in time with one session) are on here, with the
production defaults, and the sign-in throttle starts from zero."""
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.conftest import PASSWORD  # noqa: F401 - re-exported for the tests


@pytest.fixture(autouse=True)
def security_settings(settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    settings.SESSION_MAX_AGE_HOURS = 12
    settings.API_TOKEN_TTL_HOURS = 10
    settings.API_TOKEN_THROTTLE_RATE = None  # the throttle test sets its own rate
    cache.clear()
    yield settings
    cache.clear()


def sign_in(user_or_name, password, client=None, **extra):
    """POST /api/v1/auth/token/ (JSON)."""
    username = getattr(user_or_name, "username", user_or_name)
    return (client or APIClient()).post("/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra)


def token_api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + key)
    return client
