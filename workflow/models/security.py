"""Account security: the audit trail (security events) and the password history.

SecurityEvent is the audit trail of issue 12: sign-ins, sign-outs, failures,
lockouts, password and token events, case state changes, permission changes,
exports and reveals of personal data. It is append-only for everyone: rows are
written only by workflow.audit.append (which numbers them and chains them by
SM3 hash), never updated or deleted (save() and delete() refuse, the admin is
read-only, and on PostgreSQL a trigger refuses UPDATE and DELETE); only
`manage.py audit_purge` deletes rows older than AUDIT_RETENTION_DAYS.
See docs/security.md and docs/decisions/0007-audit-chain.md.
"""
import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete audit rows (or to write one outside workflow.audit.append)."""


class SecurityEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("the audit trail is append-only: rows are never updated")

    def delete(self):
        raise AppendOnlyError("the audit trail is append-only: only `manage.py audit_purge` deletes old rows")

    def bulk_create(self, *args, **kwargs):
        raise AppendOnlyError("audit rows are written one by one by workflow.audit.append (numbered and chained)")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("the audit trail is append-only: rows are never updated")


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
        CASE_STATUS_CHANGED = "case_status_changed", _("案件状态变更")
        PERMISSION_CHANGED = "permission_changed", _("权限变更")
        MEMBERSHIP_GRANTED = "membership_granted", _("授予角色")
        MEMBERSHIP_REVOKED = "membership_revoked", _("撤销角色")
        DATA_EXPORTED = "data_exported", _("导出数据")
        PERSONAL_DATA_REVEALED = "personal_data_revealed", _("查看个人信息")
        AUDIT_PURGED = "audit_purged", _("清理审计记录")

    # The chain: `sequence` numbers the rows without gaps (1, 2, 3 ...), `prev_hash` is the hash of
    # the row before (GENESIS for the first), `hash` the SM3 of this row's canonical serialisation
    # (workflow.audit_chain.row_hash). workflow.audit.append fills them; audit_verify checks them.
    sequence = models.BigIntegerField(_("序号"), unique=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    created_at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    username = models.CharField(_("用户名（所填）"), max_length=150, blank=True)
    # DO_NOTHING without a database constraint: deleting an account never rewrites its audit rows
    # (SET_NULL would be an UPDATE, refused by the trigger); the row keeps the id and the username.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        verbose_name=_("用户"), related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器标识"), max_length=255, blank=True)
    # What the event is about, when it is not the user: a case (its model's label, its id, its
    # number), an account whose groups changed ("workflow.user", id, username), a group, an export.
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("安全事件")
        verbose_name_plural = _("安全事件")
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["username", "created_at"], name="securityevent_username_idx"),
            models.Index(fields=["kind", "created_at"], name="securityevent_kind_idx"),
            models.Index(fields=["object_repr", "created_at"], name="securityevent_object_idx"),
            models.Index(fields=["object_type", "object_id"], name="securityevent_object_id_idx"),
        ]
        permissions = [("export_securityevent", _("可以导出审计记录"))]
        triggers = [
            # Nobody updates or deletes an audit row, not even with SQL; the purge command
            # lifts this for its own DELETE only (pgtrigger.ignore).
            pgtrigger.Protect(name="securityevent_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.created_at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"

    @property
    def detail_text(self) -> str:
        """The detail as canonical JSON (what the hash covers), for pages and exports."""
        from workflow.audit_chain import canonical_json

        return canonical_json(self.detail or {})

    def save(self, *args, **kwargs):
        if self.pk is not None or not getattr(self, "_appending", False):
            raise AppendOnlyError("audit rows are written only by workflow.audit.append and never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the audit trail is append-only: only `manage.py audit_purge` deletes old rows")


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
