"""Pre-aggregated daily figures of the supervision dashboard (workflow.daily_figures)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyFigure(models.Model):
    """One figure's numerator and denominator (or sum and count) for one day's cases of one
    case type, department, category, channel and subtype: what the dashboard's live aggregate
    queries give for that day, summed by workflow.daily_figures instead of recounted."""

    provider = models.CharField(_("案件类型"), max_length=20)
    day = models.DateField(_("日期"))  # the period's day (the day the case entered the figures)
    bucket = models.DateField(_("趋势日期"))  # the trend's day (usually the same day)
    bucket_month = models.DateField(_("趋势月份"))  # its month's first day (the trend by month groups by it)
    department = models.ForeignKey("workflow.Department", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    category = models.CharField(_("类别"), max_length=40, blank=True)
    channel = models.CharField(_("渠道"), max_length=40, blank=True)
    subtype = models.CharField(_("子类型"), max_length=40, blank=True)
    # The case's scope dimensions, when the case type's selectors scope its readers by more than
    # the department (DailySpec.scope: e.g. a key-case flag and a supervising unit).
    scope_flag = models.BooleanField(_("范围标记"), default=False)
    scope_unit = models.BigIntegerField(_("范围单位"), null=True, blank=True)
    metric = models.CharField(_("指标"), max_length=40)
    num = models.FloatField(_("分子"))
    den = models.BigIntegerField(_("分母"))

    class Meta:
        verbose_name = _("每日指标")
        verbose_name_plural = _("每日指标")
        # Covering the dashboard's two sums over the roll-up rows (category "*") of a period.
        indexes = [models.Index(fields=["provider", "category", "day", "department", "metric", "bucket", "bucket_month", "num", "den",
                                        "scope_flag", "scope_unit"],
                                name="dailyfigure_read_idx")]


class DailyFigureDay(models.Model):
    """A day whose figures are in DailyFigure: when they were computed and until when they hold
    (the earliest pending deadline after that moment: from then on a clock has moved a figure)."""

    provider = models.CharField(_("案件类型"), max_length=20)
    day = models.DateField(_("日期"))
    computed_at = models.DateTimeField(_("计算时间"))
    valid_until = models.DateTimeField(_("有效至"), null=True, blank=True)

    class Meta:
        verbose_name = _("每日指标（日）")
        verbose_name_plural = _("每日指标（日）")
        constraints = [models.UniqueConstraint(fields=["provider", "day"], name="dailyfigureday_unique")]


class DailyFigureStamp(models.Model):
    """Per case type: since when changes to cases have been looked for (the refresh's watermark)
    and the calendar the stored working-day figures were computed on."""

    provider = models.CharField(_("案件类型"), max_length=20, unique=True)
    checked_at = models.DateTimeField(_("检查时间"))
    calendar_token = models.CharField(_("日历版本"), max_length=64, blank=True)
    first_day = models.DateField(_("最早日期"), null=True, blank=True)  # no case before it when checked

    class Meta:
        verbose_name = _("每日指标水位")
        verbose_name_plural = _("每日指标水位")
