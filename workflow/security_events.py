"""Receivers that write the security event log (workflow.SecurityEvent).

Connected in WorkflowConfig.ready(). They record; they decide nothing:
Django's own signals (login, logout, failed login — a wrong second-factor
code too), axes' (lockout, and the deletion of a live lock record, which is
an unlock) and the signals of workflow/security.py (password changes, API
tokens). The second factor's services (workflow/second_factor.py) call
`record` themselves.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import post_delete
from django.utils import timezone

from . import security
from .models import SecurityEvent

Kind = SecurityEvent.Kind

# Session keys of the session lifetime (workflow.security_middleware.SessionLifetimeMiddleware).
SESSION_LOGIN_AT = "_security_login_at"
SESSION_SEEN_AT = "_security_seen_at"


def record(*, kind: str, request=None, user=None, username: str = "", **detail) -> SecurityEvent:
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if not username and user is not None:
        username = user.get_username()
    return SecurityEvent.objects.create(
        created_at=timezone.now(), kind=kind, username=(username or "")[:150], user=user,
        ip_address=security.client_ip(request) if request is not None else None,
        user_agent=security.client_user_agent(request) if request is not None else "",
        detail=detail,
    )


def _path(request) -> str:
    request = getattr(request, "_request", request)
    return getattr(request, "path", "")


def on_logged_in(sender, request, user, via: str = "session", **kwargs):
    record(kind=Kind.LOGIN_SUCCEEDED, request=request, user=user, via=via, path=_path(request))
    if via == "session" and request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[SESSION_LOGIN_AT] = now
        request.session[SESSION_SEEN_AT] = now
    reason = security.password_change_reason(user)
    if reason:
        record(kind=Kind.PASSWORD_CHANGE_REQUIRED, request=request, user=user, reason=reason, via=via)
    if user.is_superuser:
        # Superusers are for installation only (三权分立): each sign-in stands out in the log.
        record(kind=Kind.SUPERUSER_LOGIN, request=request, user=user, via=via)
    if via == "session" and request is not None:
        from . import second_factor

        second_factor.remember_enrolment(request, user)


def on_logged_out(sender, request, user, via: str = "session", reason: str = "logout", **kwargs):
    if user is None:
        return
    record(kind=Kind.LOGGED_OUT, request=request, user=user, via=via, reason=reason)


def on_login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username") or ""
    locked = bool(getattr(getattr(request, "_request", request), "axes_locked_out", False))
    if credentials.get("second_factor"):
        # A wrong second-factor code (workflow.second_factor.verify): axes counted it as a failure.
        from .models import User

        user = User.objects.filter(username=username).first()
        record(kind=Kind.OTP_FAILED, request=request, user=user, username=str(username), path=_path(request),
               via=kwargs.get("via", "session"), locked_out=locked)
        return
    record(kind=Kind.LOGIN_FAILED, request=request, username=str(username), path=_path(request), locked_out=locked)


def on_locked_out(sender, request, username, ip_address, **kwargs):
    record(kind=Kind.LOCKED_OUT, request=request, username=username or "", path=_path(request))


def on_attempt_deleted(sender, instance, **kwargs):
    """A lock record deleted while it still locks is an unlock (the admin, `unlock_login`, axes'
    reset commands); records deleted because they expired are not."""
    if instance.failures_since_start < settings.AXES_FAILURE_LIMIT:
        return
    if instance.attempt_time < timezone.now() - settings.AXES_COOLOFF_TIME:
        return
    actor = security.current_actor()
    record(
        kind=Kind.UNLOCKED, username=instance.username or "", user=None,
        ip=instance.ip_address, failures=instance.failures_since_start,
        by=actor.get_username() if actor is not None else "",
    )


def on_password_changed(sender, user, actor, request=None, reset: bool = False, **kwargs):
    by_other = actor is not None and actor.pk != user.pk
    record(
        kind=Kind.PASSWORD_RESET if reset else Kind.PASSWORD_CHANGED, request=request, user=user,
        by=actor.get_username() if by_other else "",
    )


def on_token_created(sender, user, token, request=None, **kwargs):
    record(kind=Kind.TOKEN_CREATED, request=request, user=user, token=token.token_key[:8], expiry=token.expiry.isoformat() if token.expiry else None)


def on_token_revoked(sender, user, token_key: str, reason: str, request=None, **kwargs):
    record(kind=Kind.TOKEN_REVOKED, request=request, user=user, token=token_key[:8], reason=reason)


def update_last_login_quietly(sender, user, **kwargs):
    """Django's update_last_login, without a row in the user's change history:
    a login is a security event (above), not a change of the account."""
    from django.contrib.auth.models import update_last_login

    user.skip_history_when_saving = True
    try:
        update_last_login(sender, user, **kwargs)
    finally:
        del user.skip_history_when_saving


def connect() -> None:
    from axes.models import AccessAttempt
    from axes.signals import user_locked_out

    # Replaces django.contrib.auth's receiver (same dispatch_uid); auth's ready() ran first.
    auth_signals.user_logged_in.disconnect(dispatch_uid="update_last_login")
    auth_signals.user_logged_in.connect(update_last_login_quietly, dispatch_uid="update_last_login")

    auth_signals.user_logged_in.connect(on_logged_in, dispatch_uid="security_logged_in")
    auth_signals.user_logged_out.connect(on_logged_out, dispatch_uid="security_logged_out")
    auth_signals.user_login_failed.connect(on_login_failed, dispatch_uid="security_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="security_locked_out")
    post_delete.connect(on_attempt_deleted, sender=AccessAttempt, dispatch_uid="security_unlocked")
    security.password_changed.connect(on_password_changed, dispatch_uid="security_password_changed")
    security.api_token_created.connect(on_token_created, dispatch_uid="security_token_created")
    security.api_token_revoked.connect(on_token_revoked, dispatch_uid="security_token_revoked")
