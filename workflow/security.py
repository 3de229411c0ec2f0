"""Account security: services and predicates for passwords, API tokens and lockouts.

State changes are services (DESIGN section 4): `user_password_changed`,
`api_token_create`, `api_token_revoke`, `api_tokens_revoke_all`,
`login_unlock`. Each sends one of the signals below (or Django's / axes'
own); the receivers in workflow/security_events.py write the
SecurityEvent rows. What is decided here once:

* `password_change_required(user)`: the account was created or reset by an
  administrator, or its password is older than PASSWORD_MAX_AGE_DAYS; the
  middleware (pages) and `PasswordIsCurrent` (API) use it.
* `client_ip(request)`: the client's address (axes and the event log).
* `lockout_response(...)`: what a locked-out sign-in gets, the same for an
  existing account and an unknown one.

The configuration is in config/settings/base.py and docs/security.md.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions

from .passwords import password_expired

# --- signals (receivers: workflow/security_events.py) ----------------------------------------------
# sender: the User class; kwargs: user, actor, request (may be None), and per signal below.
password_changed = Signal()  # reset: True when an administrator set it (the user must change it)
api_token_created = Signal()  # token: knox AuthToken
api_token_revoked = Signal()  # token_key: str, reason: str


# --- who is acting (for receivers that cannot be told: an unlock by axes' own admin delete) ----------
_actor: contextvars.ContextVar = contextvars.ContextVar("security_actor", default=None)


@contextlib.contextmanager
def acting(user):
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    return _actor.get()


# --- the client ------------------------------------------------------------------------------------------
def client_ip(request) -> str | None:
    """REMOTE_ADDR, or (settings.TRUSTED_PROXY_COUNT > 0) the address that many proxies back in
    X-Forwarded-For: a client cannot choose its address by sending the header itself."""
    request = getattr(request, "_request", request)  # a DRF Request
    meta = getattr(request, "META", {})
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return meta.get("REMOTE_ADDR") or None


def client_user_agent(request) -> str:
    request = getattr(request, "_request", request)
    return getattr(request, "META", {}).get("HTTP_USER_AGENT", "")[:255]


# --- passwords --------------------------------------------------------------------------------------------
def password_change_reason(user) -> str | None:
    """"initial" (created or reset by an administrator), "expired", or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.must_change_password:
        return "initial"
    if password_expired(user):
        return "expired"
    return None


def password_change_required(user) -> bool:
    return password_change_reason(user) is not None


def user_password_changed(*, actor, user, request=None, reset: bool) -> None:
    """After a new password was saved (by `form.save()`): who must change it next, and
    every API token revoked. `reset`: an administrator set it (created the account or
    reset the password), so the user must change it at the next sign-in; otherwise the
    user changed their own. Other browser sessions end by themselves: Django's session
    hash follows the password."""
    from knox.models import AuthToken

    with transaction.atomic():
        if user.must_change_password != reset:
            user.must_change_password = reset
            user.save(update_fields=["must_change_password"])
        for token in AuthToken.objects.filter(user=user):
            token.delete()
            api_token_revoked.send(sender=type(user), user=user, actor=actor, request=request, token_key=token.token_key, reason="password_changed")
        password_changed.send(sender=type(user), user=user, actor=actor, request=request, reset=reset)


# --- API tokens ---------------------------------------------------------------------------------------------
def api_token_ttl() -> dt.timedelta | None:
    hours = settings.API_TOKEN_TTL_HOURS
    return dt.timedelta(hours=hours) if hours else None


def api_token_create(*, user, request=None):
    """A new expiring token for `user` (who has just proved their password). Returns (AuthToken, key)."""
    from knox.models import AuthToken

    instance, key = AuthToken.objects.create(user=user, expiry=api_token_ttl())
    api_token_created.send(sender=type(user), user=user, actor=user, request=request, token=instance)
    return instance, key


def api_token_list(*, user):
    """The user's own tokens that have not expired, newest first."""
    from django.db.models import Q
    from knox.models import AuthToken

    now = timezone.now()
    return AuthToken.objects.filter(user=user).filter(Q(expiry__isnull=True) | Q(expiry__gt=now)).order_by("-created")


def api_token_revoke(*, actor, token, request=None, reason: str = "revoked") -> None:
    """Delete one token (the caller has checked that it is the actor's own)."""
    token_key = token.token_key
    token.delete()
    api_token_revoked.send(sender=type(actor), user=actor, actor=actor, request=request, token_key=token_key, reason=reason)


def api_tokens_revoke_all(*, actor, request=None, reason: str = "logout_all") -> int:
    tokens = list(api_token_list(user=actor))
    for token in tokens:
        api_token_revoke(actor=actor, token=token, request=request, reason=reason)
    return len(tokens)


# --- lockouts -----------------------------------------------------------------------------------------------
def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("登录失败次数过多，账号已暂时锁定。请 %(minutes)d 分钟后再试，或联系管理员解锁。") % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """settings.AXES_LOCKOUT_CALLABLE: 429 with Retry-After, as JSON in the API's error shape
    under /api/ and as a page elsewhere. Nothing in it depends on the account existing."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    message = lockout_message()
    if request.path.startswith("/api/"):
        from .api_support import error_body

        response = JsonResponse(error_body(detail=message, code="locked_out"), status=429, json_dumps_params={"ensure_ascii": False})
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = retry_after
    response.refusal_reason = "locked_out"
    return response


def login_unlock(*, actor, username: str) -> int:
    """Lift the lockout of `username` (every address). Returns the number of lock records removed;
    the receiver of their deletion writes the "unlocked" events."""
    from axes.utils import reset

    with acting(actor):
        return reset(username=username)


# --- API permission -----------------------------------------------------------------------------------------
class PasswordChangeRequired(exceptions.PermissionDenied):
    default_code = "password_change_required"

    def __init__(self, reason: str):
        detail = (
            _("密码已过期，请先在“修改密码”页面（/accounts/password/change/）修改密码。") if reason == "expired"
            else _("这是管理员设置的初始密码，请先在“修改密码”页面（/accounts/password/change/）修改密码。")
        )
        super().__init__(detail=detail, code="password_change_required")


class PasswordIsCurrent(permissions.BasePermission):
    """In REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]: a user who must change their password
    (initial or expired) is refused with 403, code password_change_required. Views that list
    their own permission classes must name this one too (the auth endpoints leave it out, so
    such a user can still sign out)."""

    def has_permission(self, request, view):
        reason = password_change_reason(request.user)
        if reason is None:
            return True
        raise PasswordChangeRequired(reason)
