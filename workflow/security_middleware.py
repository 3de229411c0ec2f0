"""Middleware of account security (settings.MIDDLEWARE; docs/security.md).

* RefusalLogMiddleware: every 401, 403 and 429 is one WARNING line on the
  "security" logger (method, path without the query string, user, reason),
  never a traceback; `log_filters.DropRefusals` keeps django.request from logging them
  a second time (with a traceback for PermissionDenied).
* SessionLifetimeMiddleware: a browser session ends after
  SESSION_IDLE_TIMEOUT_MINUTES without a request and SESSION_MAX_AGE_HOURS
  after signing in, whatever the activity.
* SecondFactorMiddleware: a session that still owes its second factor
  (workflow.second_factor.pending_step: an administrator without one is sent to
  enrolment, anyone enrolled to the code page) can do nothing else; the API
  answers 403 otp_required to such a session.
* PasswordChangeRequiredMiddleware: a user who must change their password
  (set by an administrator, or expired) is sent to the password change page
  until they do.
* SuperuserAuditMiddleware: every change (a non-GET request) a superuser makes
  is a security event.
* AuditContextMiddleware: rows of the audit trail written while serving a
  request carry its client address and browser (workflow.audit.request_context).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, second_factor, security
from .log_filters import REFUSALS
from .security_events import SESSION_LOGIN_AT, SESSION_SEEN_AT, Kind, record

security_log = logging.getLogger("security")



class AuditContextMiddleware:
    """The request being served, for the audit rows written while serving it (workflow.audit.append:
    the client address, the browser, and the user when the writer names no actor). The user is
    read when a row is written, so an API token's user counts too (DRF sets it on the request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit.request_context(request):
            return self.get_response(request)


def _reason(request, response) -> str:
    reason = getattr(response, "refusal_reason", None) or getattr(request, "_refusal_reason", None)
    if reason:
        return reason
    data = getattr(response, "data", None)  # a DRF answer in the error shape
    if isinstance(data, dict):
        code, detail = data.get("code"), data.get("detail")
        if code or detail:
            return f"{code or ''}: {detail or ''}".strip(": ")
    return {401: "not_authenticated", 403: "forbidden", 429: "throttled"}[response.status_code]


class RefusalLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in REFUSALS:
            user = getattr(request, "user", None)
            who = user.get_username() if getattr(user, "is_authenticated", False) else "-"
            reason = " ".join(_reason(request, response).split())[:300]
            security_log.warning(
                "refused %s %s %s user=%s ip=%s reason=%s",
                response.status_code, request.method, request.path, who, security.client_ip(request) or "-", reason,
            )
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            request._refusal_reason = f"permission_denied: {exception}" if str(exception) else "permission_denied"
        return None


def _api(request) -> bool:
    return request.path.startswith("/api/")


class SessionLifetimeMiddleware:
    """Idle timeout and absolute lifetime of browser sessions, checked on the server.

    Why not SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST alone: that gives an idle
    timeout only, enforced by the cookie's expiry, and no absolute lifetime. Here the
    session keeps when it signed in and when it was last seen (written at most once a
    minute, not on every request); SESSION_COOKIE_AGE (the absolute lifetime) makes the
    cookie and the stored row die as well. 0 switches either limit off."""

    TOUCH_EVERY = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            expired = self._check(request)
            if expired:
                record(kind=Kind.SESSION_EXPIRED, request=request, user=user, reason=expired)
                logout(request)
                if _api(request):
                    return self.get_response(request)  # now anonymous: DRF answers 401
                messages.info(request, _("长时间未操作或登录时间过长，已自动退出，请重新登录。"))
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def _check(self, request) -> str | None:
        now = timezone.now().timestamp()
        session = request.session
        login_at = session.get(SESSION_LOGIN_AT)
        seen_at = session.get(SESSION_SEEN_AT)
        if login_at is None:  # a session from before this control: count from now
            session[SESSION_LOGIN_AT] = login_at = now
        if seen_at is None:
            session[SESSION_SEEN_AT] = seen_at = now
        idle = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        lifetime = settings.SESSION_MAX_AGE_HOURS * 3600
        if lifetime and now - login_at > lifetime:
            return "max_age"
        if idle and now - seen_at > idle:
            return "idle"
        if now - seen_at >= self.TOUCH_EVERY or now < seen_at:
            session[SESSION_SEEN_AT] = now
        return None


def _exempt(request, names) -> bool:
    static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    if request.path.startswith((static, "/healthz")):
        return True
    return request.path in {reverse(name) for name in names}


class SecondFactorMiddleware:
    """Pages: a session that owes its second factor sees only the enrolment or code page (and can
    sign out or switch the language). API: such a session gets 403 otp_required; a request with
    its own Authorization header is the token's business (a token is only issued after the code)."""

    ALLOWED = ("otp_verify", "otp_setup", "logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not _exempt(request, self.ALLOWED):
            step = second_factor.pending_step(request)
            if step and _api(request):
                if "HTTP_AUTHORIZATION" not in request.META:
                    from .api_support import error_body

                    response = JsonResponse(
                        error_body(detail=_("请先在网页上完成双因素认证。"), code="otp_required"),
                        status=403, json_dumps_params={"ensure_ascii": False},
                    )
                    response.refusal_reason = "otp_required"
                    return response
            elif step:
                from urllib.parse import urlencode

                target = reverse("otp_setup" if step == "enrol" else "otp_verify")
                if step == "enrol":
                    messages.warning(request, _("管理员账号须先设置双因素认证（手机身份验证器）才能继续。"))
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class SuperuserAuditMiddleware:
    """Superusers are for installation only (三权分立): every request of theirs that may change
    something (not GET/HEAD/OPTIONS), in the admin or anywhere else, is a security event with
    the method, the path and the answer's status."""

    SAFE = ("GET", "HEAD", "OPTIONS")
    SIGN_IN = ("login", "admin:login", "otp_verify")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method not in self.SAFE and getattr(user, "is_authenticated", False) and user.is_superuser
            and not _exempt(request, self.SIGN_IN)  # the sign-in itself is its own event
        ):
            record(kind=Kind.SUPERUSER_ACTION, request=request, user=user, method=request.method, path=request.path,
                   status=response.status_code)
        return response


class PasswordChangeRequiredMiddleware:
    """Pages: a user who must change their password sees only the password change page
    (and can sign out or switch the language). The API refuses them itself, with 403
    password_change_required (workflow.security.PasswordIsCurrent)."""

    ALLOWED = ("password_change", "password_change_done", "logout", "set_language", "otp_verify", "otp_setup")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not _api(request):
            reason = security.password_change_reason(user)
            if reason and not self._allowed(request):
                messages.warning(
                    request,
                    _("您的密码已过期，请修改密码后继续使用。") if reason == "expired" else _("请先修改管理员为您设置的初始密码。"),
                )
                return redirect("password_change")
        return self.get_response(request)

    def _allowed(self, request) -> bool:
        return _exempt(request, self.ALLOWED)
