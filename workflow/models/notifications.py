"""Notifications: the in-app notice (typed: a kind and its params, rendered when read,
in the reader's language), each person's channel choices, and the outbox of e-mails
and text messages (workflow.notifications delivers them through Celery)."""
import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedCharField


class NotificationQuerySet(models.QuerySet):
    """Rows come out rendered (title, body, url) as a batch: a fixed number of queries per page."""

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._result_cache and isinstance(self._result_cache[0], Notification):
            from ..notifications import render_many

            render_many(self._result_cache)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人")
    )
    kind = models.CharField(_("类别"), max_length=64)
    # What the notice is about, as data (ids, numbers, codes, dates, names): the registered
    # kind (workflow.notifications) turns it into words when it is read.
    params = models.JSONField(_("参数"), default=dict, blank=True)
    # Text stored at send time by the old code, shown only for rows whose kind has no renderer.
    stored_title = models.CharField(_("标题（旧）"), max_length=255, blank=True)
    stored_body = models.TextField(_("内容（旧）"), blank=True)
    stored_url = models.CharField(_("链接（旧）"), max_length=255, blank=True)
    # Tasks may run twice: the same dedupe_key for the same person is stored once.
    dedupe_key = models.CharField(_("去重键"), max_length=128, blank=True)
    # The time of the event that caused it (a demo replay passes the replayed time).
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~models.Q(dedupe_key=""), name="uniq_notification_dedupe"
            )
        ]

    def __str__(self):
        return self.title

    def _render(self):
        rendered = getattr(self, "_rendered", None)
        if rendered is None:
            from ..notifications import render_many

            render_many([self])
            rendered = self._rendered
        return rendered

    @property
    def title(self) -> str:
        return self._render().title

    @property
    def body(self) -> str:
        return self._render().body

    @property
    def url(self) -> str:
        return self._render().url


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内通知")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class NotificationPreference(models.Model):
    """Which channels a person wants for one kind of notification (in-app is always on).
    No row: the kind's registered defaults."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences", verbose_name=_("用户")
    )
    kind = models.CharField(_("通知类别"), max_length=64)
    channels = models.JSONField(_("渠道"), default=list, blank=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="uniq_notification_preference")]

    def __str__(self):
        return f"{self.user} {self.kind}"


def _default_quiet_start():
    return dt.time(22, 0)


def _default_quiet_end():
    return dt.time(8, 0)


class NotificationSettings(models.Model):
    """A person's quiet hours for text messages (an SMS falling in them waits for their end)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings", verbose_name=_("用户")
    )
    quiet_start = models.TimeField(_("免打扰开始"), default=_default_quiet_start)
    quiet_end = models.TimeField(_("免打扰结束"), default=_default_quiet_end)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self):
        return str(self.user)


class OutboundMessage(models.Model):
    """One e-mail or text message to send: the outbox. Never lost silently: a failure is
    recorded and retried; after the last attempt it stays failed, visible in the admin."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        RETRYING = "retrying", _("等待重试")
        FAILED = "failed", _("发送失败")

    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="outbound", verbose_name=_("通知")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("接收人")
    )
    # An e-mail address or a phone number: personal data, stored SM4-encrypted.
    address = EncryptedCharField(_("地址"), max_length=254)
    kind = models.CharField(_("通知类别"), max_length=64)
    subject = models.CharField(_("主题"), max_length=255, blank=True)
    text = models.TextField(_("正文"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    send_after = models.DateTimeField(_("最早发送时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("消息发送记录")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "send_after"], name="outbound_due_idx")]
        constraints = [
            # A notification goes out once per channel, however often its task runs.
            models.UniqueConstraint(fields=["notification", "channel"], condition=models.Q(notification__isnull=False), name="uniq_outbound_per_channel")
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.kind}"

    @property
    def masked_address(self) -> str:
        from ..sms import mask_phone

        if self.channel == Channel.EMAIL and "@" in self.address:
            name, _at, domain = self.address.partition("@")
            return (name[:1] + "***@" + domain) if name else self.address
        return mask_phone(self.address)
