"""Account security: the security event log and the password history.

SecurityEvent is append-only by convention (written by the receivers of
workflow/security_events.py, never edited or deleted through the admin).
The hash-chained, database-enforced audit trail of issue 12 is not this yet.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SecurityEvent(models.Model):
    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "login_succeeded", _("登录成功")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGGED_OUT = "logged_out", _("退出登录")
        LOCKED_OUT = "locked_out", _("账号锁定")
        UNLOCKED = "unlocked", _("解除锁定")
        PASSWORD_CHANGED = "password_changed", _("修改密码")
        PASSWORD_RESET = "password_reset", _("管理员设置密码")
        PASSWORD_CHANGE_REQUIRED = "password_change_required", _("要求修改密码")
        SESSION_EXPIRED = "session_expired", _("会话超时")
        TOKEN_CREATED = "token_created", _("创建令牌")
        TOKEN_REVOKED = "token_revoked", _("吊销令牌")
        OTP_ENROLMENT_STARTED = "otp_enrolment_started", _("开始设置双因素认证")
        OTP_CONFIRMED = "otp_confirmed", _("启用双因素认证")
        OTP_VERIFIED = "otp_verified", _("双因素认证通过")
        OTP_FAILED = "otp_failed", _("双因素认证失败")
        OTP_BACKUP_CODE_USED = "otp_backup_code_used", _("使用备用验证码")
        OTP_BACKUP_CODES_ISSUED = "otp_backup_codes_issued", _("生成备用验证码")
        OTP_DISABLED = "otp_disabled", _("停用双因素认证")
        OTP_RESET = "otp_reset", _("重置双因素认证")
        SUPERUSER_LOGIN = "superuser_login", _("超级管理员登录")
        SUPERUSER_ACTION = "superuser_action", _("超级管理员操作")

    created_at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    username = models.CharField(_("用户名（所填）"), max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        verbose_name=_("用户"), related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器标识"), max_length=255, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("安全事件")
        verbose_name_plural = _("安全事件")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["username", "created_at"], name="securityevent_username_idx"),
            models.Index(fields=["kind", "created_at"], name="securityevent_kind_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"


class PasswordHistory(models.Model):
    """Every password hash a user has had, newest last (the reuse rule reads the last N)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history", verbose_name=_("用户"))
    password = models.CharField(_("密码哈希"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"))

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-created_at"], name="passwordhistory_user_idx")]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d}"
