"""Two factors (django-otp): TOTP with single-use backup codes, required for the administrator
roles, superusers and staff, optional for everyone else. An administrator without one is sent
to enrolment before anything (the admin included); the admin login asks for the code after the
password; a wrong code is refused, audited and counted for the lockout; backup codes work once;
the API's token sign-in asks for the code too; a security administrator resets a lost device;
superusers' sign-ins and changes are audited."""
import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.conftest import PASSWORD
from tests.factories import UserFactory, at, sign_in_verified
from tests.security.conftest import enrol, sign_in, totp_code
from workflow import second_factor
from workflow.models import SecurityEvent

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind


def _events(user, *kinds):
    return list(SecurityEvent.objects.filter(username=user.username, kind__in=kinds).order_by("id").values_list("kind", flat=True))


def _password_login(client, user, url="/accounts/login/"):
    response = client.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:300]
    return response


# --- required for administrators ----------------------------------------------------------------------
@pytest.mark.parametrize("role_fixture", ["sysadmin", "secadmin", "auditadmin", "admin_user"])
def test_an_administrator_without_a_second_factor_is_sent_to_enrolment(request, role_fixture):
    # given an administrator (any of the three roles, or a superuser) signed in with the password only
    user = request.getfixturevalue(role_fixture)
    assert second_factor.required(user)
    client = Client()
    _password_login(client, user)
    # when they open the admin (or any page), they are sent to enrolment first
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/setup/?next=%2Fadmin%2F"
    assert client.get("/")["Location"].startswith("/accounts/otp/setup/")
    # and the API refuses their session
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"


def test_without_the_requirement_an_administrator_gets_in_with_the_password(settings, sysadmin):
    # The demo-only switch (production forces it on): shows the control is what refuses above.
    settings.OTP_REQUIRED_FOR_ADMINS = False
    client = Client()
    _password_login(client, sysadmin)
    assert client.get("/admin/").status_code == 200


def test_enrolment_shows_a_qr_code_and_the_secret_and_the_backup_codes_once(sysadmin):
    client = Client()
    with at(2026, 3, 2, 9, 0):
        _password_login(client, sysadmin)
        # given the enrolment page: an inline SVG QR code made on the server, and the secret
        page = client.get("/accounts/otp/setup/?next=/admin/")
        body = page.content.decode()
        assert page.status_code == 200 and "<svg" in body and "https://" not in body.split('data-testid="otp-qr"')[1][:200]
        device = TOTPDevice.objects.get(user=sysadmin, confirmed=False)
        secret = re.search(r'data-testid="otp-secret">([^<]+)<', body).group(1)
        assert secret.replace(" ", "") == second_factor.secret_base32(device).replace(" ", "")
        # a reload shows the same (unconfirmed) device, not a new one
        client.get("/accounts/otp/setup/")
        assert TOTPDevice.objects.filter(user=sysadmin).count() == 1
        # when a wrong first code is typed, it is refused and audited
        wrong = client.post("/accounts/otp/setup/", {"token": "000000", "next": "/admin/"})
        assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    with at(2026, 3, 2, 9, 1):
        # and the right one confirms the device and shows ten backup codes, once
        done = client.post("/accounts/otp/setup/", {"token": totp_code(device), "next": "/admin/"})
        assert done.status_code == 200
        codes = re.findall(r'<li class="list-group-item font-monospace">([a-z2-7]+)</li>', done.content.decode())
        assert len(codes) == 10 and len(set(codes)) == 10
        device.refresh_from_db()
        assert device.confirmed
        assert _events(sysadmin, Kind.OTP_ENROLMENT_STARTED, Kind.OTP_FAILED, Kind.OTP_CONFIRMED, Kind.OTP_BACKUP_CODES_ISSUED) == [
            Kind.OTP_ENROLMENT_STARTED, Kind.OTP_FAILED, Kind.OTP_CONFIRMED, Kind.OTP_BACKUP_CODES_ISSUED,
        ]
        # then the session has passed the second factor: the admin opens
        assert client.get("/admin/").status_code == 200
        # and the account page does not show the codes again
        security_page = client.get("/accounts/security/").content.decode()
        assert not any(code in security_page for code in codes) and "剩余 10 个备用验证码" in security_page


def test_an_unverified_session_cannot_replace_an_enrolled_device(sysadmin):
    enrol(sysadmin)
    client = Client()
    _password_login(client, sysadmin)
    # a password alone must not be enough to swap the authenticator for the attacker's
    response = client.get("/accounts/otp/setup/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/verify/")
    assert TOTPDevice.objects.filter(user=sysadmin).count() == 1


def test_the_admin_login_asks_for_the_code_after_the_password(sysadmin):
    device, _codes = enrol(sysadmin)
    client = Client()
    with at(2026, 3, 2, 9, 0):
        # given the password at the admin's login
        response = _password_login(client, sysadmin, url="/admin/login/?next=/admin/")
        assert response["Location"] == "/admin/"
        # the admin asks for the code
        ask = client.get("/admin/")
        assert ask.status_code == 302 and ask["Location"] == "/accounts/otp/verify/?next=%2Fadmin%2F"
        # when a wrong code is given, it is refused and audited
        wrong = client.post("/accounts/otp/verify/", {"token": "123456", "next": "/admin/"})
        assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
        assert client.get("/admin/").status_code == 302
    failed = SecurityEvent.objects.get(kind=Kind.OTP_FAILED, username="sysadmin")
    assert failed.user == sysadmin and failed.detail["via"] == "session"
    with at(2026, 3, 2, 9, 1):
        # then the right code lets them in
        right = client.post("/accounts/otp/verify/", {"token": totp_code(device), "next": "/admin/"})
        assert right.status_code == 302 and right["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200
    assert _events(sysadmin, Kind.OTP_VERIFIED) == [Kind.OTP_VERIFIED]


def test_backup_codes_work_once(sysadmin):
    _device, codes = enrol(sysadmin)
    # given the password, then a backup code instead of the app's code
    first = Client()
    _password_login(first, sysadmin)
    response = first.post("/accounts/otp/verify/", {"token": codes[0].upper(), "next": "/admin/"})
    assert response.status_code == 302 and first.get("/admin/").status_code == 200
    used = SecurityEvent.objects.get(kind=Kind.OTP_BACKUP_CODE_USED)
    assert used.detail["left"] == 9
    # when the same code is tried again in another sign-in, it is refused
    second = Client()
    _password_login(second, sysadmin)
    again = second.post("/accounts/otp/verify/", {"token": codes[0], "next": "/admin/"})
    assert again.status_code == 200 and second.get("/admin/").status_code == 302
    assert not StaticToken.objects.filter(token=codes[0]).exists()


def test_wrong_codes_count_towards_the_lockout(sysadmin):
    enrol(sysadmin)
    client = Client()
    with at(2026, 3, 2, 9, 0):
        _password_login(client, sysadmin)
        # given four wrong codes: ordinary refusals
        for _ in range(4):
            assert client.post("/accounts/otp/verify/", {"token": "111111"}).status_code == 200
        # when the fifth fails, the account is locked and the session ends
        fifth = client.post("/accounts/otp/verify/", {"token": "111111"})
    assert fifth.status_code == 429
    assert "_auth_user_id" not in client.session
    # then even the right password is refused
    with at(2026, 3, 2, 9, 1):
        again = Client().post("/accounts/login/", {"username": "sysadmin", "password": PASSWORD})
    assert again.status_code == 429
    assert SecurityEvent.objects.filter(kind=Kind.OTP_FAILED, username="sysadmin").count() == 5
    assert SecurityEvent.objects.filter(kind=Kind.LOCKED_OUT, username="sysadmin").exists()


# --- the API --------------------------------------------------------------------------------------------
def test_the_token_sign_in_of_an_administrator_needs_the_code(sysadmin, secadmin, handler):
    device, _codes = enrol(sysadmin)
    with at(2026, 3, 2, 9, 0):
        # without the code
        missing = sign_in(sysadmin, PASSWORD)
        assert missing.status_code == 400 and missing.json()["code"] == "otp_required"
        # with a wrong one: refused and audited
        wrong = APIClient().post("/api/v1/auth/token/", {"username": "sysadmin", "password": PASSWORD, "otp": "000000"}, format="json")
        assert wrong.status_code == 400 and wrong.json()["code"] == "otp_invalid"
    assert SecurityEvent.objects.get(kind=Kind.OTP_FAILED).detail["via"] == "token"
    with at(2026, 3, 2, 9, 1):
        # with the right one: a token
        right = APIClient().post("/api/v1/auth/token/", {"username": "sysadmin", "password": PASSWORD, "otp": totp_code(device)}, format="json")
    assert right.status_code == 200 and right.json()["token"]
    # an administrator who has not enrolled gets no token; others need no code
    unenrolled = sign_in(secadmin, PASSWORD)
    assert unenrolled.status_code == 403 and unenrolled.json()["code"] == "otp_enrolment_required"
    assert sign_in(handler, PASSWORD).status_code == 200


# --- optional for others ------------------------------------------------------------------------------------
def test_optional_for_others_and_once_enrolled_asked_at_every_sign_in(handler):
    client = Client()
    _password_login(client, handler)
    assert client.get("/").status_code == 200  # no second factor needed
    client.get("/accounts/otp/setup/")
    device = TOTPDevice.objects.get(user=handler)
    assert client.post("/accounts/otp/setup/", {"token": totp_code(device)}).status_code == 200
    # a new sign-in asks for the code
    other = Client()
    _password_login(other, handler)
    assert other.get("/")["Location"].startswith("/accounts/otp/verify/")
    # token sign-in too
    assert sign_in(handler, PASSWORD).json()["code"] == "otp_required"
    # the enrolled session may turn it off again
    response = client.post("/accounts/otp/disable/")
    assert response.status_code == 302 and not TOTPDevice.objects.filter(user=handler).exists()
    assert _events(handler, Kind.OTP_DISABLED) == [Kind.OTP_DISABLED]


def test_an_administrator_cannot_turn_it_off(sysadmin):
    enrol(sysadmin)
    client = sign_in_verified(Client(), sysadmin)
    response = client.post("/accounts/otp/disable/", follow=True)
    assert "不能停用" in response.content.decode()
    assert TOTPDevice.objects.filter(user=sysadmin, confirmed=True).exists()


# --- reset by the security administrator ----------------------------------------------------------------
def _reset_action(client, *users):
    return client.post("/admin/workflow/user/", {"action": "reset_second_factor", "_selected_action": [u.pk for u in users]}, follow=True)


def test_a_security_administrator_resets_a_lost_device(secadmin, sysadmin):
    enrol(sysadmin)
    victim = sign_in_verified(Client(), sysadmin)
    assert victim.get("/admin/").status_code == 200
    # when the security administrator resets the system administrator's second factor
    admin = sign_in_verified(Client(), secadmin)
    response = _reset_action(admin, sysadmin)
    assert "已重置双因素认证" in response.content.decode()
    # then their devices are gone, their session must enrol again, and it is audited with who did it
    assert not TOTPDevice.objects.filter(user=sysadmin).exists() and not StaticToken.objects.filter(device__user=sysadmin).exists()
    assert victim.get("/admin/")["Location"].startswith("/accounts/otp/setup/")
    event = SecurityEvent.objects.get(kind=Kind.OTP_RESET)
    assert event.user == sysadmin and event.detail["by"] == "secadmin"


def test_only_a_security_administrator_resets_and_not_their_own(secadmin, sysadmin):
    enrol(secadmin)
    # the system administrator has no such action
    client = sign_in_verified(Client(), sysadmin)
    _reset_action(client, secadmin)
    assert TOTPDevice.objects.filter(user=secadmin).exists()
    # the security administrator cannot reset their own
    own = sign_in_verified(Client(), secadmin)
    response = _reset_action(own, secadmin)
    assert "不能重置自己的双因素认证" in response.content.decode()
    assert TOTPDevice.objects.filter(user=secadmin, confirmed=True).exists()
    assert not SecurityEvent.objects.filter(kind=Kind.OTP_RESET).exists()


# --- superusers are for installation: audited ---------------------------------------------------------------
def test_superuser_sign_ins_and_changes_are_audited(admin_user, approval_dept):
    client = Client()
    _password_login(client, admin_user, url="/admin/login/")
    assert SecurityEvent.objects.filter(kind=Kind.SUPERUSER_LOGIN, user=admin_user).exists()
    sign_in_verified(client, admin_user)
    response = client.post(f"/admin/workflow/department/{approval_dept.pk}/change/", {"name": ""})
    assert response.status_code == 200  # the form refused the blank name; the attempt is still audited
    action = SecurityEvent.objects.get(kind=Kind.SUPERUSER_ACTION)
    assert action.detail == {"method": "POST", "path": f"/admin/workflow/department/{approval_dept.pk}/change/", "status": 200}


def test_a_normal_user_is_not_asked(handler):
    client = Client()
    _password_login(client, handler)
    assert client.get("/accounts/security/").status_code == 200
    assert not SecurityEvent.objects.filter(kind__startswith="otp_").exists()
    assert not SecurityEvent.objects.filter(kind=Kind.SUPERUSER_LOGIN).exists()
    assert UserFactory(username="plain").is_staff is False


def test_the_demo_administrators_sign_in_with_the_published_secret():
    from io import StringIO

    from django.core.management import call_command

    call_command("demo_data", stdout=StringIO())
    for username in ("sysadmin1", "secadmin1", "auditadmin1", "admin"):
        client = Client()
        assert client.post("/accounts/login/", {"username": username, "password": "demo12345"}).status_code == 302
        assert client.get("/admin/")["Location"].startswith("/accounts/otp/verify/")
        out = StringIO()
        call_command("demo_otp_code", username, stdout=out)
        response = client.post("/accounts/otp/verify/", {"token": out.getvalue().strip(), "next": "/admin/"})
        assert response.status_code == 302 and client.get("/admin/").status_code == 200, username
    # the command says nothing about an account without the demo secret
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo_otp_code", "handler1", stdout=StringIO())
