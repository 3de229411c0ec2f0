"""Working-day calendar: one row per date, per year a row saying it is known."""
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CalendarYear(models.Model):
    """A year whose every date is in CalendarDay. Deadlines reaching a year
    without this row are refused, never guessed."""

    class Source(models.TextChoices):
        CHINESE_CALENDAR = "chinese_calendar", _("chinese-calendar 程序库")
        IMPORT = "import", _("CSV 导入")
        MANUAL = "manual", _("手工维护")

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    source = models.CharField(_("来源"), max_length=32, choices=Source.choices)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    provisional = models.BooleanField(
        _("暂定"), default=False,
        help_text=_("暂定日历（如演示库按周末和固定日期节日推算的下一年）：依此计算的期限在页面上标注“暂定日历”。导入官方安排后自动取消。"),
    )
    imported_at = models.DateTimeField(_("导入时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    date = models.DateField(_("日期"), primary_key=True)
    is_working_day = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=64, blank=True, help_text=_("节日名称或“调休上班”"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("日历日期")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]
        indexes = [models.Index(fields=["is_working_day", "date"], name="calendar_working_idx")]

    def __str__(self):
        return f"{self.date} {'工作日' if self.is_working_day else '休息日'}"


class CalendarStamp(models.Model):
    """One row whose token changes with every change to the calendar.

    Each process holds the calendar in memory (workflow.workdays) with the token
    it was loaded under, compares the token at most once a second and reloads
    when it differs. A random token, not a counter: a change rolled back never
    leaves a value another change could take again."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    token = models.CharField(_("版本标记"), max_length=32)
    # The token under which the deadlines were last recomputed (workflow.supervision.
    # calendar_deadlines_recompute): the sweep reads no deadline while it equals `token`.
    recomputed_token = models.CharField(_("期限已按此版本重算"), max_length=32, blank=True, editable=False)
    changed_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历版本")
        verbose_name_plural = _("日历版本")

    def __str__(self):
        return self.token

    @staticmethod
    def new_token() -> str:
        return uuid.uuid4().hex
