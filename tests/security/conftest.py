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


# --- administrators (三权分立) and the second factor -------------------------------------------------
@pytest.fixture
def gov_dept(db):
    from tests.factories import DepartmentFactory

    return DepartmentFactory(code="gov-office", name="区政府办公室", short_name="区政府办")


@pytest.fixture
def sysadmin(gov_dept):
    from tests.factories import UserFactory

    return UserFactory(username="sysadmin", roles=[(gov_dept, "admin")])


@pytest.fixture
def secadmin(gov_dept):
    from tests.factories import UserFactory

    return UserFactory(username="secadmin", roles=[(gov_dept, "security_admin")])


@pytest.fixture
def auditadmin(gov_dept):
    from tests.factories import UserFactory

    return UserFactory(username="auditadmin", roles=[(gov_dept, "audit_admin")])


def totp_code(device, seconds_later: int = 0) -> str:
    """The code the user's authenticator shows now (time-machine moves time.time() too)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + seconds_later
    return f"{totp.token():0{device.digits}d}"


def enrol(user):
    """The user enrolled through the services: (authenticator, backup codes)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from workflow import second_factor

    device = second_factor.enrolment_start(user=user)
    device, codes = second_factor.enrolment_confirm(user=user, token=totp_code(device))
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the next sign-in may use the same time step
    device.refresh_from_db()
    return device, codes
