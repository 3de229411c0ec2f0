"""Password rules: at least 8 characters of 3 of the 4 classes, not like the username, not one of
the last 5; expiry after PASSWORD_MAX_AGE_DAYS; a forced change at the first sign-in of an
account an administrator created or reset, on the pages and in the API."""
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import PASSWORD
from tests.factories import UserFactory, at, sign_in_verified
from tests.security.conftest import sign_in, token_api
from workflow.models import SecurityEvent, User

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
CHANGE = "/accounts/password/change/"


@pytest.mark.parametrize("password", ["kxqzvmwp", "chaotian", "gov2026gov", "Ab1!x", "handler2026!"])
def test_weak_passwords_are_refused(handler, password):
    with pytest.raises(ValidationError):
        validate_password(password, handler)


@pytest.mark.parametrize("password", ["Kxqz-vmwp7", "gov2026Gov", "朝天区政务2026x"])
def test_good_passwords_are_accepted(handler, password):
    validate_password(password, handler)


def _change(client, old, new):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


def test_the_change_page_refuses_the_last_five_passwords(client, handler):
    client.force_login(handler)
    # given five changes after the initial password
    old = PASSWORD
    for n in range(1, 6):
        new = f"Neu-Pass{n}x"
        response = _change(client, old, new)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/change/done/", n
        old = new
    # then none of the last five (the current one included) is accepted again
    for n in range(1, 6):
        response = _change(client, old, f"Neu-Pass{n}x")
        assert response.status_code == 200 and "不能使用最近 5 次用过的密码" in response.content.decode(), n
    # but the sixth-last (the initial one) is
    assert _change(client, old, PASSWORD).status_code == 302
    assert SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGED, user=handler).count() == 6


def test_the_change_page_shows_the_rules_in_chinese(client, handler):
    client.force_login(handler)
    response = _change(client, PASSWORD, "chaotian")
    body = response.content.decode()
    assert response.status_code == 200
    assert "至少 3 类" in body and "修改密码" in body


def test_every_user_finds_the_change_link_in_the_header(client, handler):
    client.force_login(handler)
    assert f'href="{CHANGE}"' in client.get("/notifications/").content.decode()


def test_an_expired_password_must_be_changed(client, settings):
    with at(2026, 1, 5, 9):
        user = UserFactory(username="clerk")
    with at(2026, 4, 4, 9):  # 89 days: still valid
        client.force_login(user)
        assert client.get("/notifications/").status_code == 200
    with at(2026, 4, 6, 9):  # 91 days: every page leads to the change page, the API refuses
        client.force_login(user)
        response = client.get("/notifications/")
        assert response.status_code == 302 and response["Location"] == CHANGE
        assert client.get(CHANGE).status_code == 200
        token = sign_in(user, PASSWORD).json()
        assert token["must_change_password"] is True
        refused = token_api(token["token"]).get("/api/v1/me/")
        assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
        assert "过期" in refused.json()["detail"]
        # when they change it, everything opens again
        assert _change(client, PASSWORD, "Fresh-Pass2026").status_code == 302
        assert client.get("/notifications/").status_code == 200
    # and with PASSWORD_MAX_AGE_DAYS=0 passwords never expire
    settings.PASSWORD_MAX_AGE_DAYS = 0
    user.refresh_from_db()
    with at(2036, 1, 1, 9):
        client.force_login(user)
        assert client.get("/notifications/").status_code == 200


def test_an_account_created_by_an_administrator_must_change_its_password_first(admin_user):
    admin = Client()
    sign_in_verified(admin, admin_user)
    # given an administrator creating an account with an initial password
    response = admin.post("/admin/workflow/user/add/", {
        "username": "newclerk", "usable_password": "true", "password1": "Init-Pass2026", "password2": "Init-Pass2026",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newclerk")
    assert user.must_change_password
    # when the new user signs in, they are sent to the change page, and the API refuses them
    client = Client()
    assert client.post("/accounts/login/", {"username": "newclerk", "password": "Init-Pass2026"}).status_code == 302
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"] == CHANGE
    key = sign_in("newclerk", "Init-Pass2026").json()["token"]
    api = token_api(key)
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
    # (they can still sign out of the API)
    assert api.get("/api/v1/auth/tokens/").status_code == 200
    # then after changing it, they may work
    assert _change(client, "Init-Pass2026", "Own-Pass2026x").status_code == 302
    assert client.get("/notifications/").status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password
    kinds = list(SecurityEvent.objects.filter(user=user).order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds[0] == Kind.PASSWORD_RESET and Kind.PASSWORD_CHANGE_REQUIRED in kinds and kinds[-1] == Kind.PASSWORD_CHANGED


def test_a_password_reset_by_an_administrator_must_be_changed_and_revokes_tokens(admin_user, handler):
    key = sign_in(handler, PASSWORD).json()["token"]
    admin = Client()
    sign_in_verified(admin, admin_user)
    response = admin.post(f"/admin/workflow/user/{handler.pk}/password/", {
        "usable_password": "true", "password1": "Reset-Pass2026", "password2": "Reset-Pass2026",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    handler.refresh_from_db()
    assert handler.must_change_password
    assert token_api(key).get("/api/v1/me/").status_code == 401
    event = SecurityEvent.objects.get(kind=Kind.PASSWORD_RESET, user=handler)
    assert event.detail["by"] == "root"
