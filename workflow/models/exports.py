"""Excel exports written in the background (workflow.exports): who asked for
which list with which filters, how far the worker got, and the file."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def export_path(instance: "ExportJob", filename: str) -> str:
    return f"exports/{instance.created_at:%Y/%m}/export-{instance.pk}-{instance.kind}.xlsx"


class ExportJob(models.Model):
    """One export of a list (a registered export kind) with the filters the user
    had on the page (its query parameters, kept as JSON and validated again when
    the worker runs). `done` / `total` are the progress bar; the file lives under
    MEDIA_ROOT and is served only to the requester."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("导出中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("文件已清理")

    kind = models.CharField(_("导出内容"), max_length=48, db_index=True)
    label = models.CharField(_("名称"), max_length=200)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    done = models.PositiveIntegerField(_("已写入"), default=0)
    truncated = models.BooleanField(_("已截断"), default=False)
    error = models.TextField(_("错误"), blank=True)
    file = models.FileField(_("文件"), upload_to=export_path, max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人"))
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("Excel导出")
        verbose_name_plural = _("Excel导出")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="export_requester_idx"),
            models.Index(fields=["status", "updated_at"], name="export_status_idx"),
        ]

    def __str__(self):
        return self.label

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else (100 if self.status == self.Status.DONE else 0)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)
