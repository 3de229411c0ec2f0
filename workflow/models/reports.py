"""The periodic report (通报): the dashboard's figures of a period, frozen when issued."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisation import Department


class Report(models.Model):
    """One issued 通报: a period (day, month, quarter, year or a custom range), a
    scope (every case type, or one: a metric provider's code), its number in the
    issuing department's series "report" and a frozen copy of the figures
    (`figures`: the dashboard's totals, per-department figures, ranking and the
    breach records of the period at issue time). Nothing is recomputed
    afterwards: the PDF (document kind "report") is made from `figures` only,
    so a report reads the same forever, whatever happens to the cases later."""

    class Period(models.TextChoices):
        DAY = "day", _("日")
        MONTH = "month", _("月")
        QUARTER = "quarter", _("季度")
        YEAR = "year", _("年")
        CUSTOM = "custom", _("自定义")

    period_kind = models.CharField(_("统计周期"), max_length=16, choices=Period.choices)
    first_day = models.DateField(_("起始日"))
    last_day = models.DateField(_("截止日"))
    scope = models.CharField(_("范围"), max_length=32, blank=True, help_text=_("空：全部案件类型；否则为一种案件类型的代码"))
    rank_by = models.CharField(_("排名依据"), max_length=48, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    doc_number = models.CharField(_("发文字号"), max_length=64, blank=True)
    issuing_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("发文单位"),
    )
    issuer_name = models.CharField(_("发文机关"), max_length=128)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("发布人"), help_text=_("空：系统按计划自动发布"),
    )
    issued_at = models.DateTimeField(_("发布时间"), db_index=True)
    figures = models.JSONField(_("数据快照"), default=dict)

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["period_kind", "first_day", "last_day", "scope", "rank_by"], name="uniq_report_period_scope"),
        ]

    def __str__(self):
        return f"{self.doc_number or self.title}"
