"""Receivers that write the audit trail (workflow.SecurityEvent, through workflow.audit.append).

Connected in WorkflowConfig.ready(). They record; they decide nothing:
Django's own signals (login, logout, failed login — a wrong second-factor
code too), axes' (lockout, and the deletion of a live lock record, which is
an unlock), the signals of workflow/security.py (password changes, API
tokens), and permission changes: groups and permissions of a user or a group
(m2m_changed, whoever changes them: the admin, the role sync, a shell), and
an account's is_active, is_staff and is_superuser. The second factor's
services (workflow/second_factor.py) call `record` themselves.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from . import audit, security
from .models import SecurityEvent

Kind = SecurityEvent.Kind

# Session keys of the session lifetime (workflow.security_middleware.SessionLifetimeMiddleware).
SESSION_LOGIN_AT = "_security_login_at"
SESSION_SEEN_AT = "_security_seen_at"


def record(*, kind: str, request=None, user=None, username: str = "", **detail) -> SecurityEvent:
    return audit.append(kind=kind, actor=user, username=username, request=request, detail=detail)


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


# --- permission changes ------------------------------------------------------------------------------
def _names(model, pks) -> list[str]:
    from django.contrib.auth.models import Permission

    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).values_list("content_type__app_label", "codename")
        return sorted(f"{app}.{code}" for app, code in rows)
    field = "username" if hasattr(model, "USERNAME_FIELD") else "name"
    return sorted(str(v) for v in model.objects.filter(pk__in=pks).values_list(field, flat=True))


def on_m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A user's groups or permissions, or a group's permissions, changed (either side of the relation).
    One row per change: the object whose set changed, what was added or removed."""
    user_model = type(instance) if hasattr(instance, "USERNAME_FIELD") else None
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if action == "pre_clear":
        # Before the clear, to know what is removed (the clear is in the same transaction).
        pk_set = set(_cleared(sender, instance, reverse).values_list("pk", flat=True))
    if not pk_set:
        return
    change = {"post_add": "added", "post_remove": "removed", "pre_clear": "removed"}[action]
    what = _relation_name(sender)
    audit.append(
        kind=SecurityEvent.Kind.PERMISSION_CHANGED, actor=audit.current_actor(), obj=instance,
        object_repr=instance.get_username() if user_model else str(instance),
        detail={"change": what, change: _names(model, pk_set), "via": "reverse" if reverse else "forward"},
    )


def _relation_name(through) -> str:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user_model = get_user_model()
    if through is user_model.groups.through:
        return "user_groups"
    if through is user_model.user_permissions.through:
        return "user_permissions"
    if through is Group.permissions.through:
        return "group_permissions"
    return through._meta.label_lower


def _cleared(through, instance, reverse):
    """What the relation being cleared holds now (read before the clear)."""
    from django.contrib.auth import get_user_model

    if through is get_user_model().groups.through:
        return instance.user_set.all() if reverse else instance.groups.all()
    if through is get_user_model().user_permissions.through:
        return instance.user_set.all() if reverse else instance.user_permissions.all()
    return instance.group_set.all() if reverse else instance.permissions.all()  # Group.permissions


ACCOUNT_FLAGS = ("is_active", "is_staff", "is_superuser")


def on_user_pre_save(sender, instance, update_fields=None, raw=False, **kwargs):
    """Remember an account's flags before a save that may change them (one query, only for such saves)."""
    if raw or (update_fields is not None and not set(update_fields) & set(ACCOUNT_FLAGS)):
        return
    if instance.pk is None:
        instance._audit_flags_before = None
        return
    instance._audit_flags_before = sender.objects.filter(pk=instance.pk).values(*ACCOUNT_FLAGS).first()


def on_user_post_save(sender, instance, created, raw=False, **kwargs):
    if raw or not hasattr(instance, "_audit_flags_before"):
        return
    before = instance.__dict__.pop("_audit_flags_before")
    if before is None:  # a new account: only the powers it starts with are worth a row
        before = {"is_active": True, "is_staff": False, "is_superuser": False}
    changes = {
        flag: {"old": before[flag], "new": getattr(instance, flag)}
        for flag in ACCOUNT_FLAGS if before.get(flag) != getattr(instance, flag)
    }
    if not changes:
        return
    audit.append(
        kind=SecurityEvent.Kind.PERMISSION_CHANGED, actor=audit.current_actor(), obj=instance,
        object_repr=instance.get_username(),
        detail={"change": "account_flags", "flags": changes, "created": created},
    )


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

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user_model = get_user_model()
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(on_m2m_changed, sender=through, dispatch_uid=f"audit_m2m_{through._meta.label_lower}")
    pre_save.connect(on_user_pre_save, sender=user_model, dispatch_uid="audit_user_flags_before")
    post_save.connect(on_user_post_save, sender=user_model, dispatch_uid="audit_user_flags")
