"""Rules as data: time limits and labelled scales, editable by administrators."""
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "wd", _("工作日")
    NATURAL_DAYS = "days", _("自然日")
    HOURS = "hours", _("小时")
    MONTHS = "months", _("个月")


class TimeLimitRuleQuerySet(models.QuerySet):
    """Bulk writes (update, bulk_create, bulk_update, delete) send no model
    signals: they bump the time limits' stamp themselves, so that every
    process's copy (workflow.rules) follows them too."""

    def _changed(self):
        from ..rules import time_limits_stamp_bump

        time_limits_stamp_bump()

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        self._changed()
        return rows

    def bulk_create(self, *args, **kwargs):
        objs = super().bulk_create(*args, **kwargs)
        self._changed()
        return objs

    def bulk_update(self, *args, **kwargs):
        rows = super().bulk_update(*args, **kwargs)
        self._changed()
        return rows

    def delete(self):
        result = super().delete()
        self._changed()
        return result


class TimeLimitRule(models.Model):
    """How long a step may take, e.g. proposal/reply = 3 months."""

    case_kind = models.CharField(_("案件类别"), max_length=32, help_text=_("案件类型的代码，由各案件应用登记"))
    step = models.CharField(_("环节"), max_length=64)
    category = models.CharField(
        _("细分类别"), max_length=64, blank=True, help_text=_("留空表示该环节的默认时限")
    )
    name = models.CharField(_("名称"), max_length=128)
    amount = models.PositiveIntegerField(_("时限"))
    unit = models.CharField(_("单位"), max_length=8, choices=TimeUnit.choices)
    warn_before = models.PositiveIntegerField(
        _("提前预警（工作日）"), default=0, help_text=_("到期前多少个工作日开始预警")
    )
    note = models.CharField(_("依据/说明"), max_length=255, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    objects = TimeLimitRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        ordering = ["case_kind", "step", "category"]
        constraints = [
            models.UniqueConstraint(fields=["case_kind", "step", "category"], name="uniq_time_limit_rule"),
        ]

    def __str__(self):
        return f"{self.name}: {self.amount}{self.get_unit_display()}"

    def clean(self):
        if self.amount == 0:
            raise ValidationError({"amount": _("时限必须大于零。")})


class TimeLimitStamp(models.Model):
    """One row whose token changes with every change to the time limits: each
    process holds the active rules in memory (workflow.rules) and compares the
    token at most once a second, as the calendar does (CalendarStamp)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    token = models.CharField(_("版本标记"), max_length=32)
    changed_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("办理时限版本")
        verbose_name_plural = _("办理时限版本")

    def __str__(self):
        return self.token

    @staticmethod
    def new_token() -> str:
        return uuid.uuid4().hex


class LabelScale(models.Model):
    """A labelled scale: reply classes, rating scales, implementation grades."""

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("标签量表")
        verbose_name_plural = _("标签量表")
        ordering = ["code"]

    def __str__(self):
        return self.name


class LabelChoice(models.Model):
    scale = models.ForeignKey(LabelScale, on_delete=models.CASCADE, related_name="choices", verbose_name=_("量表"))
    code = models.CharField(_("代码"), max_length=32)
    label = models.CharField(_("文字"), max_length=128)
    ordering = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_negative = models.BooleanField(
        _("负面"), default=False, help_text=_("例如差评、不满意：触发整改或重办")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["scale", "ordering"]
        constraints = [models.UniqueConstraint(fields=["scale", "code"], name="uniq_label_choice")]

    def __str__(self):
        return f"{self.code} {self.label}"


class RuleSetting(models.Model):
    """A numeric rule that is not a time limit, e.g. the minimum number of cases a
    department needs in a period before it is ranked on the dashboard."""

    code = models.SlugField(_("代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    value = models.PositiveIntegerField(_("数值"))
    note = models.CharField(_("依据/说明"), max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("统计规则")
        verbose_name_plural = _("统计规则")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}: {self.value}"
