"""The case event log, written by services (one row per state change or act)."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseEvent(models.Model):
    case_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("案件类型"))
    case_id = models.PositiveBigIntegerField(_("案件"))
    case = GenericForeignKey("case_type", "case_id")
    type = models.CharField(_("事件"), max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        verbose_name=_("操作人"), related_name="+",
    )
    from_state = models.CharField(_("原状态"), max_length=64, blank=True)
    to_state = models.CharField(_("新状态"), max_length=64, blank=True)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case_type", "case_id", "created_at"], name="caseevent_case_idx")]

    def __str__(self):
        return f"{self.type} {self.from_state}→{self.to_state}"
