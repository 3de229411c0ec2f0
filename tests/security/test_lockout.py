"""Login protection (django-axes): five failures within 15 minutes lock the username, on the
login page, the admin login and the API token endpoint; the sixth attempt, with the right
password, is refused with the same message as for an account that does not exist; an
administrator unlocks; every failure, lock and unlock is a security event. The token endpoint
is throttled per address."""
import re

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import PASSWORD
from tests.factories import at, sign_in_verified
from tests.security.conftest import sign_in
from workflow import security
from workflow.models import SecurityEvent

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
LOCK_TEXT = "登录失败次数过多，账号已暂时锁定"


def _page_message(response) -> str:
    match = re.search(r'data-testid="locked-out">([^<]+)<', response.content.decode())
    assert match, response.content.decode()[:500]
    return match.group(1)


def _post_login(client, url, username, password, ip="10.1.1.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_login_pages_lock_after_five_failures(url, admin_user):
    client = Client()
    with at(2026, 3, 2, 9, 0):
        # given four wrong passwords: each is an ordinary refusal
        for _ in range(4):
            response = _post_login(client, url, "root", "wrong-password")
            assert response.status_code == 200 and not _signed_in(client)
            assert LOCK_TEXT not in response.content.decode()
        # when the fifth fails, the account is locked (429, the lock page in Chinese)
        fifth = _post_login(client, url, "root", "wrong-password")
    assert fifth.status_code == 429 and fifth["Retry-After"] == "900"
    assert LOCK_TEXT in _page_message(fifth)
    with at(2026, 3, 2, 9, 1):
        # then the right password is refused too, with the same message
        sixth = _post_login(client, url, "root", PASSWORD)
    assert sixth.status_code == 429 and not _signed_in(client)
    assert _page_message(sixth) == _page_message(fifth)
    # and an account that does not exist gets exactly the same answer after five tries
    with at(2026, 3, 2, 9, 2):
        for _ in range(5):
            unknown = _post_login(Client(), url, "no-such-person", "wrong-password")
    assert unknown.status_code == 429 and _page_message(unknown) == _page_message(sixth)
    # and every failure and the lock are security events, with the address
    failed = SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED, username="root")
    assert failed.count() == 6 and set(failed.values_list("ip_address", flat=True)) == {"10.1.1.1"}
    assert SecurityEvent.objects.filter(kind=Kind.LOCKED_OUT, username="root").exists()
    assert SecurityEvent.objects.filter(kind=Kind.LOCKED_OUT, username="no-such-person").exists()
    assert not SecurityEvent.objects.filter(kind=Kind.LOGIN_SUCCEEDED).exists()


def test_the_lock_is_by_username_from_any_address_and_ends_after_the_cool_off(handler):
    with at(2026, 3, 2, 9, 0):
        for _ in range(5):
            _post_login(Client(), "/accounts/login/", "handler", "wrong-password", ip="10.1.1.1")
        # another address is locked out of the same account
        response = _post_login(Client(), "/accounts/login/", "handler", PASSWORD, ip="10.9.9.9")
        assert response.status_code == 429
        # another account from the first address is not
        assert _post_login(Client(), "/accounts/login/", "nobody-else", "x", ip="10.1.1.1").status_code == 200
    # 15 minutes after the last attempt the lock has lifted
    with at(2026, 3, 2, 9, 16):
        client = Client()
        response = _post_login(client, "/accounts/login/", "handler", PASSWORD, ip="10.1.1.1")
        assert response.status_code == 302 and _signed_in(client)


def test_the_token_endpoint_locks_after_five_failures(handler):
    with at(2026, 3, 2, 9, 0):
        for _ in range(4):
            response = sign_in(handler, "wrong-password", REMOTE_ADDR="10.1.1.1")
            assert response.status_code == 400 and response.json()["code"] == "invalid"
        fifth = sign_in(handler, "wrong-password", REMOTE_ADDR="10.1.1.1")
        sixth = sign_in(handler, PASSWORD, REMOTE_ADDR="10.1.1.1")
        unknown = [sign_in("no-such-person", "wrong-password", REMOTE_ADDR="10.1.1.1") for _ in range(5)][-1]
    for response in (fifth, sixth, unknown):
        assert response.status_code == 429 and response["Retry-After"] == "900"
        body = response.json()
        assert body["code"] == "locked_out" and body["errors"] == {} and LOCK_TEXT in body["detail"]
    # the right password got no token, and the answer says nothing about the account existing
    assert "token" not in sixth.json() and sixth.json() == unknown.json()
    assert SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED, username="handler").count() == 6
    assert SecurityEvent.objects.filter(kind=Kind.LOCKED_OUT, username="handler").exists()
    assert not SecurityEvent.objects.filter(kind=Kind.TOKEN_CREATED).exists()


def test_an_administrator_unlocks_and_the_unlock_is_audited(handler, admin_user):
    with at(2026, 3, 2, 9, 0):
        for _ in range(5):
            sign_in(handler, "wrong-password")
        assert sign_in(handler, PASSWORD).status_code == 429
        # when an administrator unlocks the account
        call_command("unlock_login", "handler", "--by", "root")
        # then the right password works at once
        response = sign_in(handler, PASSWORD)
    assert response.status_code == 200 and response.json()["token"]
    unlock = SecurityEvent.objects.get(kind=Kind.UNLOCKED)
    assert unlock.username == "handler" and unlock.detail["by"] == "root"


def test_the_admin_unlock_action(handler, admin_user, client):
    from axes.models import AccessAttempt

    with at(2026, 3, 2, 9, 0):
        for _ in range(5):
            sign_in(handler, "wrong-password")
        sign_in_verified(client, admin_user)
        ids = list(AccessAttempt.objects.values_list("pk", flat=True))
        response = client.post("/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": ids})
        assert response.status_code == 302
        assert sign_in(handler, PASSWORD).status_code == 200
    assert SecurityEvent.objects.get(kind=Kind.UNLOCKED).detail["by"] == "root"


def test_the_token_endpoint_is_throttled_per_address(settings, handler):
    settings.API_TOKEN_THROTTLE_RATE = "3/minute"
    with at(2026, 3, 2, 9, 0):
        answers = [sign_in(handler, PASSWORD, REMOTE_ADDR="10.2.2.2").status_code for _ in range(3)]
        throttled = sign_in(handler, PASSWORD, REMOTE_ADDR="10.2.2.2")
        other_address = sign_in(handler, PASSWORD, REMOTE_ADDR="10.3.3.3")
    assert answers == [200, 200, 200]
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled" and int(throttled["Retry-After"]) > 0
    assert other_address.status_code == 200


def test_the_client_address_behind_trusted_proxies(settings, rf):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.7")
    assert security.client_ip(request) == "127.0.0.1"  # no proxy trusted: the header is ignored
    settings.TRUSTED_PROXY_COUNT = 1
    assert security.client_ip(request) == "10.0.0.7"  # the address our one proxy saw
