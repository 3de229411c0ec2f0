"""The second factor (django-otp): TOTP in an authenticator app, with single-use backup codes.

Who needs it (decided here once, docs/security.md):

* `required(user)`: the administrator roles (workflow.roles.ADMIN_ROLES), superusers and
  staff, while settings.OTP_REQUIRED_FOR_ADMINS (production forces it on). They cannot use
  anything (pages or API) before they have enrolled and passed it in the session.
* anyone else who enrolled (optional): once they have a confirmed device, every sign-in asks
  for the code too.

`pending_step(request)` is what a session still has to do ("enrol", "verify" or None); the
middleware (workflow.security_middleware.SecondFactorMiddleware), the admin site and the pages
use it. The API's token sign-in asks for the code in the same request (`otp`).

State changes are services (DESIGN section 4), each one a security event:
`enrolment_start`, `enrolment_confirm`, `backup_codes_issue`, `verify`, `disable`, `reset`.
A wrong code counts as a failed sign-in for the lockout (django-axes), like a wrong password.
"""
from __future__ import annotations

from base64 import b32encode

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import SecurityEvent
from .roles import ADMIN_ROLES

Kind = SecurityEvent.Kind

# Session key: whether the signed-in user had a confirmed device at sign-in (users for whom the
# second factor is optional; spares them a query on every request).
SESSION_HAS_DEVICE = "_security_otp_enrolled"

TOTP_NAME = "身份验证器"
BACKUP_NAME = "备用验证码"


# --- who needs it ------------------------------------------------------------------------------------
def required(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not settings.OTP_REQUIRED_FOR_ADMINS:
        return False
    if user.is_superuser or user.is_staff:
        return True
    from .selectors import user_roles

    return bool(user_roles(user=user) & ADMIN_ROLES)


def has_device(user) -> bool:
    """A confirmed authenticator (backup codes alone are no enrolment)."""
    return getattr(user, "is_authenticated", False) and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_verified(request) -> bool:
    user = getattr(request, "user", None)
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def pending_step(request) -> str | None:
    """What this signed-in session still has to do: "enrol", "verify", or None."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or session_verified(request):
        return None
    if required(user):
        return "verify" if has_device(user) else "enrol"
    session = getattr(request, "session", None)
    if session is None:
        return None
    enrolled = session.get(SESSION_HAS_DEVICE)
    if enrolled is None:
        enrolled = session[SESSION_HAS_DEVICE] = has_device(user)
    return "verify" if enrolled else None


def remember_enrolment(request, user) -> None:
    """At sign-in (workflow.security_events.on_logged_in): whether this user enrolled."""
    if hasattr(request, "session"):
        request.session[SESSION_HAS_DEVICE] = has_device(user)


# --- presenting a device ---------------------------------------------------------------------------------
def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code, made here (no third party sees the secret)."""
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#000", light="#fff")


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- services ------------------------------------------------------------------------------------------------
def _record(kind, *, request=None, user=None, **detail):
    from .security_events import record

    return record(kind=kind, request=request, user=user, **detail)


@transaction.atomic
def enrolment_start(*, user, request=None) -> TOTPDevice:
    """The user's unconfirmed authenticator (made now, or the one a reload of the page shows again)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
        _record(Kind.OTP_ENROLMENT_STARTED, request=request, user=user)
    return device


def enrolment_confirm(*, user, token: str, request=None) -> tuple[TOTPDevice, list[str]]:
    """The first code from the app confirms the new authenticator; it replaces any earlier one,
    and a fresh set of backup codes is issued (shown once). Returns (device, codes)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            raise ValidationError(_("请先打开“设置双因素认证”页面，扫描二维码。"))
        accepted = device.verify_token(_clean(token))  # a miss is counted by the device's throttle
        if accepted:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _record(Kind.OTP_CONFIRMED, request=request, user=user)
            codes = backup_codes_issue(user=user, request=request)
    if not accepted:
        _record(Kind.OTP_FAILED, request=request, user=user, stage="enrolment")
        raise ValidationError({"token": _("验证码不正确：请输入身份验证器上当前显示的 6 位数字（注意手机时间准确）。")})
    return device, codes


@transaction.atomic
def backup_codes_issue(*, user, request=None) -> list[str]:
    """A new set of settings.OTP_BACKUP_CODE_COUNT single-use codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = []
    while len(codes) < settings.OTP_BACKUP_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    _record(Kind.OTP_BACKUP_CODES_ISSUED, request=request, user=user, count=len(codes))
    return codes


def _clean(token) -> str:
    return "".join(str(token or "").split()).lower()


def verify(*, user, token: str, request, via: str = "session"):
    """Check a code (6 digits from the app, or a backup code) of a user who has just proved their
    password. Returns the device that accepted it, or None. A wrong code is a failed sign-in for
    the lockout (axes counts it; `request.axes_locked_out` tells when it locked the account) and
    a security event; a backup code is used up."""
    token = _clean(token)
    device = None
    if token:
        with transaction.atomic():
            if token.isdigit():
                candidates = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
            else:
                candidates = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
            for candidate in candidates:
                allowed, _extra = candidate.verify_is_allowed()
                if allowed and candidate.verify_token(token):
                    device = candidate
                    break
    if device is None:
        # One signal: axes counts the failure; workflow.security_events writes the OTP_FAILED event.
        user_login_failed.send(
            sender=type(user), credentials={"username": user.get_username(), "second_factor": True}, request=request, via=via,
        )
        return None
    if isinstance(device, StaticDevice):
        _record(Kind.OTP_BACKUP_CODE_USED, request=request, user=user, via=via, left=backup_codes_left(user))
    else:
        _record(Kind.OTP_VERIFIED, request=request, user=user, via=via)
    return device


def is_locked(request, user) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


@transaction.atomic
def disable(*, actor, user, request=None) -> int:
    """The user turns their (optional) second factor off. Administrators cannot."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("只能停用自己的双因素认证。"))
    if required(user):
        raise ValidationError(_("管理员必须使用双因素认证，不能停用。更换手机请重新设置；设备丢失请联系安全管理员重置。"))
    removed = _delete_devices(user)
    _record(Kind.OTP_DISABLED, request=request, user=user)
    return removed


def can_reset(actor) -> bool:
    return bool(actor and actor.is_active and actor.has_perm("workflow.manage_account_security"))


@transaction.atomic
def reset(*, actor, user, request=None) -> int:
    """A security administrator removes someone's authenticator and backup codes (a lost phone):
    an administrator is sent to enrolment at their next request, and their verified sessions
    need the new device. Nobody resets their own."""
    if not can_reset(actor):
        raise PermissionDenied(_("只有安全管理员可以重置双因素认证。"))
    if actor.pk == user.pk:
        raise ValidationError(_("不能重置自己的双因素认证：请由另一位安全管理员办理。"))
    removed = _delete_devices(user)
    _record(Kind.OTP_RESET, request=request, user=user, by=actor.get_username(), devices=removed)
    return removed


def _delete_devices(user) -> int:
    removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
    StaticDevice.objects.filter(user=user).delete()
    return removed


# --- the demo ---------------------------------------------------------------------------------------------
# The demo administrators' authenticator secret: public (README), so only for demo data.
DEMO_SECRET_BASE32 = "DEMODEMODEMODEMODEMODEMODEMODEMO"


def demo_device_ensure(*, user) -> TOTPDevice:
    """A confirmed authenticator with the published demo secret (workflow/demo.py only)."""
    from base64 import b32decode

    key = b32decode(DEMO_SECRET_BASE32).hex()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, key=key, confirmed=True)
    return device


def demo_code(user) -> str | None:
    """The current code of a demo administrator (None unless their device has the demo secret)."""
    from base64 import b32decode

    from django_otp.oath import totp

    key = b32decode(DEMO_SECRET_BASE32)
    device = TOTPDevice.objects.filter(user=user, confirmed=True, key=key.hex()).first()
    if device is None:
        return None
    return f"{totp(key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"
