"""Sessions end after 30 idle minutes and 12 hours in all; API tokens expire, logout revokes
them, a user lists and revokes their own (never another's), and a password change revokes every
token and ends the other sessions."""
import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tests.factories import UserFactory, at
from tests.security.conftest import sign_in, token_api
from workflow.models import SecurityEvent

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
PAGE = "/notifications/"


def _to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- sessions ----------------------------------------------------------------------------------------------
def test_a_session_ends_after_thirty_idle_minutes(handler):
    client = Client()
    with at(2026, 3, 2, 9, 0):
        client.force_login(handler)
        assert client.get(PAGE).status_code == 200
    with at(2026, 3, 2, 9, 29):  # activity keeps it alive
        assert client.get(PAGE).status_code == 200
    with at(2026, 3, 2, 9, 58):
        assert client.get(PAGE).status_code == 200
    with at(2026, 3, 2, 10, 29):  # 31 minutes without a request
        response = client.get(PAGE)
        assert _to_login(response)
        assert _to_login(client.get(PAGE))  # and it stays signed out
    event = SecurityEvent.objects.get(kind=Kind.SESSION_EXPIRED)
    assert event.user == handler and event.detail["reason"] == "idle"


def test_a_session_ends_twelve_hours_after_signing_in_whatever_the_activity(handler):
    client = Client()
    with at(2026, 3, 2, 8, 0):
        client.force_login(handler)
    for hour in range(8, 20):  # a request every 20 minutes for 12 hours
        for minute in (0, 20, 40):
            with at(2026, 3, 2, hour, minute):
                assert client.get(PAGE).status_code == 200, (hour, minute)
    with at(2026, 3, 2, 20, 1):
        assert _to_login(client.get(PAGE))
    assert SecurityEvent.objects.get(kind=Kind.SESSION_EXPIRED).detail["reason"] == "max_age"


def test_the_session_cookie_dies_with_the_absolute_lifetime(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600 or settings.SESSION_MAX_AGE_HOURS == 0


# --- tokens -----------------------------------------------------------------------------------------------
def test_a_token_expires_after_its_lifetime(handler):
    with at(2026, 3, 2, 9, 0):
        answer = sign_in(handler, PASSWORD).json()
        assert answer["expiry"].startswith("2026-03-02T19:00")
        api = token_api(answer["token"])
        assert api.get("/api/v1/me/").status_code == 200
    with at(2026, 3, 2, 18, 59):
        assert api.get("/api/v1/me/").status_code == 200
    with at(2026, 3, 2, 19, 1):
        response = api.get("/api/v1/me/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_logout_revokes_the_token_and_logout_all_every_token(handler):
    first, second, third = (sign_in(handler, PASSWORD).json()["token"] for _ in range(3))
    # logout revokes the token it was sent with, only that one
    assert token_api(first).post("/api/v1/auth/logout/").json() == {"revoked": 1}
    assert token_api(first).get("/api/v1/me/").status_code == 401
    assert token_api(second).get("/api/v1/me/").status_code == 200
    # logout-all revokes the rest
    assert token_api(second).post("/api/v1/auth/logout-all/").json() == {"revoked": 2}
    assert token_api(second).get("/api/v1/me/").status_code == 401
    assert token_api(third).get("/api/v1/me/").status_code == 401
    assert SecurityEvent.objects.filter(kind=Kind.TOKEN_REVOKED, user=handler).count() == 3
    assert SecurityEvent.objects.filter(kind=Kind.TOKEN_CREATED, user=handler).count() == 3
    assert SecurityEvent.objects.filter(kind=Kind.LOGGED_OUT, user=handler).count() == 2


def test_a_user_lists_and_revokes_only_their_own_tokens(handler, other_handler):
    mine = [sign_in(handler, PASSWORD).json()["token"] for _ in range(2)]
    theirs = sign_in(other_handler, PASSWORD).json()["token"]
    api = token_api(mine[0])
    listed = api.get("/api/v1/auth/tokens/").json()
    assert len(listed) == 2
    assert {t["prefix"] for t in listed} == {mine[0][:15], mine[1][:15]}
    assert all(set(t) == {"prefix", "created", "expiry", "current"} for t in listed)
    assert [t["current"] for t in listed if t["prefix"] == mine[0][:15]] == [True]
    # another user's token is neither listed nor revocable
    assert theirs[:15] not in {t["prefix"] for t in listed}
    assert api.delete(f"/api/v1/auth/tokens/{theirs[:15]}/").status_code == 404
    assert token_api(theirs).get("/api/v1/me/").status_code == 200
    # revoking one of mine
    assert api.delete(f"/api/v1/auth/tokens/{mine[1][:15]}/").status_code == 204
    assert token_api(mine[1]).get("/api/v1/me/").status_code == 401
    assert [t["prefix"] for t in api.get("/api/v1/auth/tokens/").json()] == [mine[0][:15]]


def test_a_password_change_revokes_every_token_and_ends_the_other_sessions(handler):
    token = sign_in(handler, PASSWORD).json()["token"]
    here, elsewhere = Client(), Client()
    here.force_login(handler)
    elsewhere.force_login(handler)
    assert elsewhere.get(PAGE).status_code == 200
    # when the user changes their password in one browser
    response = here.post("/accounts/password/change/", {"old_password": PASSWORD, "new_password1": "Neu-Pass2026", "new_password2": "Neu-Pass2026"})
    assert response.status_code == 302
    # then that browser stays signed in, the other one and the token are out
    assert here.get(PAGE).status_code == 200
    assert _to_login(elsewhere.get(PAGE))
    assert token_api(token).get("/api/v1/me/").status_code == 401
    assert SecurityEvent.objects.filter(kind=Kind.TOKEN_REVOKED, user=handler, detail__reason="password_changed").count() == 1
    assert SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGED, user=handler).count() == 1


def test_sign_in_and_out_of_the_pages_are_audited(client):
    user = UserFactory(username="clerk")
    with at(2026, 3, 2, 9, 0):
        client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD}, HTTP_USER_AGENT="Test Browser", REMOTE_ADDR="10.4.4.4")
        client.post("/accounts/logout/")
    succeeded = SecurityEvent.objects.get(kind=Kind.LOGIN_SUCCEEDED)
    assert (succeeded.user, succeeded.ip_address, succeeded.user_agent) == (user, "10.4.4.4", "Test Browser")
    assert SecurityEvent.objects.get(kind=Kind.LOGGED_OUT).user == user
