"""The periodic report (通报): the dashboard's figures of a period, frozen when drafted."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .organisation import Department


class Report(models.Model):
    """One 通报: a period (day, month, quarter, year or a custom range), a scope
    (every case type, or one: a metric provider's code) and a frozen copy of the
    figures (`figures`: the dashboard's totals, per-department figures, ranking,
    the supervision notices' figures and the breach records of the period, as they
    were when drafted or last regenerated).

    Lifecycle (workflow.reports): drafted (by a person, or by the system: None) →
    submitted for approval → published by an approver (numbered then: the 发文字号
    is drawn at publication, and the issued PDF rendered), or returned with a
    reason to the drafter, who revises (period, scope, ranking figure) or
    regenerates the figures and submits again. Nothing is recomputed after
    publication: the issued PDF (document kind "report") is made from `figures`."""

    class Period(models.TextChoices):
        DAY = "day", _("日")
        MONTH = "month", _("月")
        QUARTER = "quarter", _("季度")
        YEAR = "year", _("年")
        CUSTOM = "custom", _("自定义")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("送审中")
        RETURNED = "returned", _("已退回")
        PUBLISHED = "published", _("已发布")

    period_kind = models.CharField(_("统计周期"), max_length=16, choices=Period.choices)
    first_day = models.DateField(_("起始日"))
    last_day = models.DateField(_("截止日"))
    scope = models.CharField(_("范围"), max_length=32, blank=True, help_text=_("空：全部案件类型；否则为一种案件类型的代码"))
    rank_by = models.CharField(_("排名依据"), max_length=48, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    doc_number = models.CharField(_("发文字号"), max_length=64, blank=True, help_text=_("发布时编号"))
    issuing_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("发文单位"),
    )
    issuer_name = models.CharField(_("发文机关"), max_length=128)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("起草人"), help_text=_("空：系统按计划自动起草"),
    )
    drafted_at = models.DateTimeField(_("起草时间"), default=timezone.now, db_index=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("送审人"),
    )
    submitted_at = models.DateTimeField(_("送审时间"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("退回人"),
    )
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("审批发布人"), help_text=_("空：系统自动发布（日排名）或尚未发布"),
    )
    issued_at = models.DateTimeField(_("发布时间"), null=True, blank=True, db_index=True)
    figures = models.JSONField(_("数据快照"), default=dict)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-drafted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["period_kind", "first_day", "last_day", "scope", "rank_by"], name="uniq_report_period_scope"),
        ]

    def __str__(self):
        return f"{self.doc_number or self.title}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_editable(self) -> bool:
        """The drafter may revise or regenerate a draft or a returned report."""
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)
