"""Document-number series (发文字号): one counter per department, series and year."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisation import Department


class DocumentCounter(models.Model):
    """The last number issued in a department's series for a year: 朝审函〔2019〕28号.

    `series` tells apart a department's series (e.g. "letter" for its reply
    letters); every case type numbering documents draws from here."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+", verbose_name=_("单位"))
    series = models.CharField(_("文号系列"), max_length=32, default="letter")
    year = models.PositiveSmallIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("已用到"), default=0)

    class Meta:
        verbose_name = _("发文字号计数")
        verbose_name_plural = _("发文字号计数")
        constraints = [models.UniqueConstraint(fields=["department", "series", "year"], name="uniq_document_counter")]

    def __str__(self):
        return f"{self.department} {self.series} {self.year}: {self.last}"
